using System.Text.Json;
using Mnemora.Api.Http;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Contracts;

/// <summary><c>POST /v1/memory/semantic</c>; <see cref="Namespace"/> defaults to <c>default</c>.</summary>
public sealed record StoreSemanticRequest(
    [Identifier] string? AgentId,
    [MemoryText(RequestLimits.MaxContentCharacters)] string? Content,
    [Namespace(Optional = true)] string? Namespace,
    [MetadataObject(RequestLimits.MaxMetadataBytes, Optional = true)] JsonElement? Metadata,
    [Between(1, RequestLimits.MaxSemanticTtlHours, Optional = true)] int? TtlHours = null);

/// <summary><c>PATCH /v1/memory/semantic/{id}</c>: any of the fields; <see cref="Metadata"/> replaces; <see cref="Version"/> guards.</summary>
public sealed record PatchSemanticRequest(
    [MemoryText(RequestLimits.MaxContentCharacters, Optional = true)] string? Content,
    [MetadataObject(RequestLimits.MaxMetadataBytes, Optional = true)] JsonElement? Metadata,
    [Namespace(Optional = true)] string? Namespace,
    long? Version);

/// <summary><c>GET /v1/memory/semantic</c>: a page, newest first.</summary>
public sealed record SemanticListResponse(IReadOnlyList<SemanticResponse> Memories, string? NextCursor);

/// <summary><c>GET /v1/memory/semantic/{id}/history</c>: every version, oldest first.</summary>
public sealed record SemanticHistoryResponse(IReadOnlyList<SemanticVersionResponse> History)
{
    public static SemanticHistoryResponse From(IReadOnlyList<SemanticVersion> versions) =>
        new([.. versions.Select(v =>
        {
            using var metadata = JsonDocument.Parse(v.MetadataJson);
            return new SemanticVersionResponse(v.Version, v.Change, v.Content, metadata.RootElement.Clone(), v.Namespace, v.ChangedAt);
        })]);
}

/// <summary>One version: <see cref="Change"/> is what brought it about; a deleted memory's versions carry no content.</summary>
public sealed record SemanticVersionResponse(long Version, string Change, string? Content, JsonElement Metadata, string Namespace, DateTime ChangedAt);

/// <summary>
/// <c>POST /v1/memory/semantic/search</c>. <see cref="Mode"/> is <c>hybrid</c> (default), <c>vector</c> or <c>keyword</c>;
/// <see cref="Threshold"/> bounds <c>similarity_score</c> of every hit in <c>vector</c> and <c>hybrid</c> mode; <c>keyword</c> ignores it.
/// <see cref="Filter"/> takes metadata operators; <see cref="MetadataFilter"/> keeps its containment meaning.
/// </summary>
public sealed record SearchSemanticRequest(
    [MemoryText(RequestLimits.MaxContentCharacters)] string? Query,
    [Identifier(Optional = true)] string? AgentId,
    [Namespace(Optional = true)] string? Namespace,
    [Between(1, RequestLimits.MaxTopK, Optional = true)] int? TopK,
    [Fraction(Optional = true)] double? Threshold,
    [MetadataObject(RequestLimits.MaxMetadataBytes, Optional = true)] JsonElement? MetadataFilter,
    [SearchMode(Optional = true)] string? Mode = null,
    [Filter(Optional = true)] JsonElement? Filter = null,
    [Instant(Optional = true)] string? CreatedAfter = null,
    [Instant(Optional = true)] string? CreatedBefore = null);

public sealed record SemanticSearchResponse(IReadOnlyList<SemanticResponse> Results);

/// <summary>
/// The contract's <c>SemanticResponse</c>; the tenant and internal columns stay off the wire. <see cref="Dedup"/>
/// says what a store did with a near-duplicate (<c>none</c>, <c>same</c>, <c>updated</c>; null outside a store).
/// </summary>
public sealed record SemanticResponse(
    Guid Id,
    string AgentId,
    string Content,
    string Namespace,
    JsonElement Metadata,
    double? SimilarityScore,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    bool Deduplicated,
    string? Dedup,
    long Version,
    DateTime? ExpiresAt,
    double? Score = null)
{
    public static SemanticResponse From(SemanticMemoryRecord memory, double? similarity, bool deduplicated) =>
        From(memory, similarity, deduplicated, dedup: null);

    /// <summary>A search hit: <c>similarity_score</c> is the cosine similarity, <c>score</c> what the mode ranked by.</summary>
    public static SemanticResponse From(SemanticMatch match) =>
        From(match.Memory, match.Similarity, deduplicated: false, dedup: null) with { Score = match.Score };

    /// <summary>The answer to a store: <c>deduplicated</c> only for the same fact, <c>dedup</c> for all three outcomes.</summary>
    public static SemanticResponse From(SemanticStoreResult stored) =>
        From(stored.Memory, similarity: null, stored.Deduplicated, stored.Dedup switch
        {
            SemanticDedup.Same => "same",
            SemanticDedup.Updated => "updated",
            _ => "none",
        });

    private static SemanticResponse From(SemanticMemoryRecord memory, double? similarity, bool deduplicated, string? dedup)
    {
        using var metadata = JsonDocument.Parse(memory.MetadataJson);
        return new SemanticResponse(
            memory.Id, memory.AgentId, memory.Content, memory.Namespace, metadata.RootElement.Clone(),
            similarity, memory.CreatedAt, memory.UpdatedAt, deduplicated, dedup, memory.Version, memory.ExpiresAt);
    }
}

/// <summary><c>POST /v1/memory/episodic/{agent_id}/summarize</c>; every member is optional.</summary>
public sealed record SummarizeRequest(
    [Identifier(Optional = true)] string? SessionId,
    string? From,
    string? To,
    [Between(1, Mnemora.Storage.Memory.EpisodeQuery.MaxLimit, Optional = true)] int? NumEpisodes,
    [Namespace(Optional = true)] string? Namespace);
