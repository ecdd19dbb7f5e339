using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Mnemora.Client;

/// <summary>An agent's memory at a glance (<c>GET /v1/memory/{agent_id}</c>).</summary>
/// <param name="State">The state of the <c>default</c> session; null when there is none.</param>
/// <param name="Semantic">The five newest semantic memories.</param>
/// <param name="Episodic">The ten newest episodes.</param>
public sealed record AgentMemory(AgentState? State, IReadOnlyList<SemanticMemory> Semantic, IReadOnlyList<Episode> Episodic);

/// <summary>The kinds of memory.</summary>
public enum MemoryType
{
    /// <summary>Working memory: a session's state (<c>state</c>).</summary>
    [JsonStringEnumMemberName("state")]
    State,

    /// <summary>Facts and documents searched by meaning (<c>semantic</c>).</summary>
    [JsonStringEnumMemberName("semantic")]
    Semantic,

    /// <summary>The time-ordered log (<c>episodic</c>).</summary>
    [JsonStringEnumMemberName("episodic")]
    Episodic,
}

/// <summary>One hit of <see cref="MnemoraClient.SearchAllMemoryAsync"/>: a semantic memory or an episode.</summary>
/// <param name="MemoryType">Which kind of memory the hit is.</param>
/// <param name="Id">The memory's or episode's id.</param>
/// <param name="AgentId">The agent it belongs to.</param>
/// <param name="Content">The memory's text, or the episode's content.</param>
/// <param name="SimilarityScore">1 − cosine distance of the content to the query.</param>
/// <param name="Relevance">A label: <c>text_match</c> when the query's words occur in the content, <c>semantic_match</c> when it matched by meaning.</param>
/// <param name="Metadata">The memory's or episode's metadata.</param>
/// <param name="CreatedAt">For a semantic memory: when it was stored.</param>
/// <param name="Timestamp">For an episode: when it happened.</param>
/// <param name="Score">What the results are ordered by: above 1 for a text match, else the similarity.</param>
public sealed record MemorySearchResult(
    MemoryType MemoryType,
    string Id,
    string AgentId,
    JsonNode Content,
    double? SimilarityScore,
    string? Relevance,
    JsonObject? Metadata,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? Timestamp,
    double? Score = null);

/// <summary>What a GDPR purge deleted (<c>DELETE /v1/memory/{agent_id}</c>); a second purge reports zeros.</summary>
/// <param name="AgentId">The purged agent.</param>
/// <param name="Deleted">The counts per store.</param>
/// <param name="StateDeleted">State records deleted.</param>
/// <param name="SemanticDeleted">Semantic memories deleted.</param>
/// <param name="EpisodesDeleted">Episodes deleted, hot and cold.</param>
public sealed record PurgeResult(string AgentId, PurgeCounts Deleted, long StateDeleted, long SemanticDeleted, long EpisodesDeleted);

/// <summary>Records deleted per store.</summary>
/// <param name="State">State records.</param>
/// <param name="Semantic">Semantic memories.</param>
/// <param name="Episodic">Episodes.</param>
/// <param name="S3Objects">Objects of cold (tiered) episodes.</param>
public sealed record PurgeCounts(long State, long Semantic, long Episodic, long S3Objects);

/// <summary>
/// A write to <c>POST /v1/memory</c>, which routes by shape: with <see cref="Data"/> it is a state
/// write, with <see cref="Type"/> and <see cref="SessionId"/> an episode, else (with <see cref="Content"/>)
/// a semantic memory. Prefer the typed methods; this one serves callers that hold memories of mixed kinds.
/// </summary>
public sealed record MemoryWrite
{
    /// <summary>The agent to write to (required).</summary>
    public required string AgentId { get; init; }

    /// <summary>For a state write: the state object.</summary>
    public JsonObject? Data { get; init; }

    /// <summary>For an episode: its type.</summary>
    public EpisodeType? Type { get; init; }

    /// <summary>For state (optional, <c>default</c>) or an episode (required): the session.</summary>
    public string? SessionId { get; init; }

    /// <summary>For an episode (any JSON value) or a semantic memory (a string): the content.</summary>
    public JsonNode? Content { get; init; }

    /// <summary>For a semantic memory: its namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>For an episode or a semantic memory: its metadata.</summary>
    public JsonObject? Metadata { get; init; }

    /// <summary>For state: its time to live, in whole hours from 1 hour to 365 days; null: forever.</summary>
    [JsonIgnore]
    public TimeSpan? TimeToLive { get; init; }

    [JsonInclude]
    [JsonPropertyName("ttl_hours")]
    internal int? TtlHours => MnemoraClient.TtlHours(TimeToLive);

    /// <summary>The kind of memory the server will write, by the contract's rule.</summary>
    [JsonIgnore]
    public MemoryType Kind => Data is not null ? MemoryType.State
        : Type is not null && SessionId is not null ? MemoryType.Episodic
        : MemoryType.Semantic;
}

/// <summary>What <see cref="MnemoraClient.StoreAsync"/> wrote: exactly one of the three members is set, as <see cref="Kind"/> says.</summary>
/// <param name="Kind">The kind of memory written.</param>
/// <param name="State">The state, for a state write.</param>
/// <param name="Episode">The episode, for an episode.</param>
/// <param name="Semantic">The semantic memory, for a semantic write.</param>
public sealed record StoredMemory(MemoryType Kind, AgentState? State, Episode? Episode, SemanticMemory? Semantic);

internal sealed record SearchAllRequest(string Query, string? AgentId, int? TopK);

internal sealed record MemorySearchResults(IReadOnlyList<MemorySearchResult> Results);
