using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Mnemora.Client;

/// <summary>One immutable entry of an agent's time-ordered log (the contract's <c>EpisodeResponse</c>).</summary>
/// <param name="Id">The server-assigned id.</param>
/// <param name="AgentId">The agent the episode belongs to.</param>
/// <param name="SessionId">The session it was logged in.</param>
/// <param name="Type">What kind of entry it is.</param>
/// <param name="Content">The entry: a string or any JSON value.</param>
/// <param name="Metadata">Free-form metadata.</param>
/// <param name="Timestamp">The server-assigned time (UTC).</param>
public sealed record Episode(
    string Id,
    string AgentId,
    string SessionId,
    EpisodeType Type,
    JsonNode Content,
    JsonObject Metadata,
    DateTimeOffset Timestamp);

/// <summary>The kinds of episode.</summary>
public enum EpisodeType
{
    /// <summary>A turn of a conversation (<c>conversation</c>).</summary>
    [JsonStringEnumMemberName("conversation")]
    Conversation,

    /// <summary>Something the agent did (<c>action</c>).</summary>
    [JsonStringEnumMemberName("action")]
    Action,

    /// <summary>Something the agent saw (<c>observation</c>).</summary>
    [JsonStringEnumMemberName("observation")]
    Observation,

    /// <summary>A tool the agent called, with its arguments or result (<c>tool_call</c>).</summary>
    [JsonStringEnumMemberName("tool_call")]
    ToolCall,
}

/// <summary>One page of episodes, oldest first.</summary>
/// <param name="Episodes">The episodes of this page.</param>
/// <param name="NextCursor">Pass to the next call to continue; null at the end of the history.</param>
public sealed record EpisodePage(IReadOnlyList<Episode> Episodes, string? NextCursor);

/// <summary>Which episodes <see cref="MnemoraClient.ListEpisodesAsync"/> returns; every filter is optional.</summary>
public sealed record EpisodeFilter
{
    /// <summary>Only this session's episodes.</summary>
    public string? SessionId { get; init; }

    /// <summary>Only episodes of this type.</summary>
    public EpisodeType? Type { get; init; }

    /// <summary>Only episodes at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only episodes at or before this time.</summary>
    public DateTimeOffset? To { get; init; }
}

internal sealed record StoreEpisodeRequest(string AgentId, string SessionId, EpisodeType Type, JsonNode Content, JsonObject? Metadata);

internal sealed record SummarizeRequest(string? SessionId, DateTimeOffset? From, DateTimeOffset? To, int? NumEpisodes, string? Namespace);
