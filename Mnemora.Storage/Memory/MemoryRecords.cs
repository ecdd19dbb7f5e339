namespace Mnemora.Storage.Memory;

/// <summary>One session's working memory as stored; <see cref="DataJson"/> is compact JSON text of an object.</summary>
public sealed record StateRecord(
    string AgentId,
    string SessionId,
    string DataJson,
    long Version,
    string CreatedAt,
    string UpdatedAt,
    string? ExpiresAt);

/// <summary>The outcome of an update that expects a version.</summary>
public enum StateUpdateOutcome
{
    Updated,
    NotFound,
    VersionConflict,
}

public sealed record StateUpdateResult(StateUpdateOutcome Outcome, StateRecord? Record);

/// <summary>One immutable episode as stored, hot or cold; content and metadata are compact JSON text.</summary>
public sealed record EpisodeRecord(
    string Id,
    string SessionId,
    string Type,
    string ContentJson,
    string MetadataJson,
    string Timestamp)
{
    public EpisodePosition Position => new(Timestamp, Id);
}

/// <summary>The contract's four episode types.</summary>
public static class EpisodeTypes
{
    public const string Conversation = "conversation";
    public const string Action = "action";
    public const string Observation = "observation";
    public const string ToolCall = "tool_call";

    public static IReadOnlyList<string> All { get; } = [Conversation, Action, Observation, ToolCall];

    public static bool IsValid(string? type) => type is Conversation or Action or Observation or ToolCall;
}

/// <summary>
/// What to list: optional session, type and inclusive time range, at most <see cref="Limit"/>
/// episodes strictly after <see cref="After"/> (a cursor), oldest first.
/// </summary>
public sealed record EpisodeQuery(
    string? SessionId = null,
    string? Type = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Limit = EpisodeQuery.DefaultLimit,
    EpisodePosition? After = null)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;
}

/// <summary>A page of episodes in time order; <see cref="Next"/> is where the next page starts, or null at the end.</summary>
public sealed record EpisodePage(IReadOnlyList<EpisodeRecord> Episodes, EpisodePosition? Next);
