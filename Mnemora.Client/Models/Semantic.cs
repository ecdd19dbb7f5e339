using System.Text.Json.Nodes;

namespace Mnemora.Client;

/// <summary>A fact or document an agent searches by meaning (the contract's <c>SemanticResponse</c>).</summary>
/// <param name="Id">The memory's id.</param>
/// <param name="AgentId">The agent the memory belongs to.</param>
/// <param name="Content">The text that was embedded.</param>
/// <param name="Namespace">The namespace within the agent (<c>default</c> unless given).</param>
/// <param name="Metadata">Free-form metadata; searches can filter on it.</param>
/// <param name="SimilarityScore">In search results, 1 − cosine distance to the query in [0, 1]; null elsewhere.</param>
/// <param name="CreatedAt">When the memory was stored (UTC).</param>
/// <param name="UpdatedAt">When the memory was last changed, e.g. merged with a near-duplicate (UTC).</param>
/// <param name="Deduplicated">True when storing found a near-duplicate (cosine ≥ 0.95) and updated it instead of adding a record.</param>
/// <param name="Version">1 when stored, + 1 on every edit or update; send it back to <see cref="MnemoraClient.UpdateMemoryAsync"/> to guard an edit.</param>
/// <param name="ExpiresAt">When the memory expires (UTC); null without a time to live.</param>
/// <param name="Score">In search results, what the search ranked by: the similarity (vector), the keyword rank (keyword) or the reciprocal rank fusion (hybrid); null elsewhere.</param>
public sealed record SemanticMemory(
    Guid Id,
    string AgentId,
    string Content,
    string Namespace,
    JsonObject Metadata,
    double? SimilarityScore,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool Deduplicated,
    long Version = 1,
    DateTimeOffset? ExpiresAt = null,
    double? Score = null);

/// <summary>How a semantic search ranks.</summary>
public enum SearchMode
{
    /// <summary>By meaning and by words, fused by reciprocal rank fusion.</summary>
    Hybrid,

    /// <summary>By meaning only: cosine similarity of the embeddings.</summary>
    Vector,

    /// <summary>By words only: PostgreSQL full-text search.</summary>
    Keyword,
}

/// <summary>One version of a semantic memory (<c>GET /v1/memory/semantic/{id}/history</c>).</summary>
/// <param name="Version">The version number.</param>
/// <param name="Change">What brought it about: <c>created</c>, <c>updated</c>, <c>merged</c> or <c>deleted</c>.</param>
/// <param name="Content">The text of that version; null once the memory is deleted (erased).</param>
/// <param name="Metadata">The metadata of that version (empty once deleted).</param>
/// <param name="Namespace">The namespace of that version.</param>
/// <param name="ChangedAt">When that version came about (UTC).</param>
public sealed record SemanticMemoryVersion(long Version, string Change, string? Content, JsonObject Metadata, string Namespace, DateTimeOffset ChangedAt);

/// <summary>A page of an agent's semantic memories, newest first.</summary>
/// <param name="Memories">The memories of this page.</param>
/// <param name="NextCursor">Pass to the next call for the next page; null on the last.</param>
public sealed record SemanticMemoryPage(IReadOnlyList<SemanticMemory> Memories, string? NextCursor);

internal sealed record StoreSemanticRequest(string AgentId, string Content, string? Namespace, JsonObject? Metadata, int? TtlHours = null);

internal sealed record PatchSemanticRequest(string? Content, JsonObject? Metadata, string? Namespace, long? Version);

internal sealed record SemanticHistory(IReadOnlyList<SemanticMemoryVersion> History);

internal sealed record SearchSemanticRequest(
    string Query, string? AgentId, string? Namespace, int? TopK, double? Threshold, JsonObject? MetadataFilter,
    string? Mode = null, JsonObject? Filter = null, string? CreatedAfter = null, string? CreatedBefore = null);

internal sealed record SemanticResults(IReadOnlyList<SemanticMemory> Results);
