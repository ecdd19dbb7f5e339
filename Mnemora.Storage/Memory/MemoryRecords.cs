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

    /// <summary>A page ends once its episodes' JSON reaches about this many bytes (the contract's 4 MB), whatever the limit.</summary>
    public const long PageBytes = 4L * 1024 * 1024;

    /// <summary>
    /// What one call may read from the stores before it answers (hot items, cold episodes decompressed,
    /// cold index items): a filter that matches little returns what it has with a cursor instead of reading the partition.
    /// </summary>
    public const long ReadBytes = 16L * 1024 * 1024;

    /// <summary>The JSON an episode adds to a page: its content and metadata plus the fixed members around them.</summary>
    public static long JsonBytes(EpisodeRecord episode) =>
        System.Text.Encoding.UTF8.GetByteCount(episode.ContentJson) + System.Text.Encoding.UTF8.GetByteCount(episode.MetadataJson)
        + episode.SessionId.Length + 200;
}

/// <summary>
/// A page of episodes in time order; <see cref="Next"/> is where the next page starts, or null at the end.
/// A page may be short (or empty) with a <see cref="Next"/>: it stopped at its byte or read budget.
/// </summary>
public sealed record EpisodePage(IReadOnlyList<EpisodeRecord> Episodes, EpisodePosition? Next);
