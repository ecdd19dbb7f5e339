namespace Mnemora.Storage.Semantic;

/// <summary>A live row of <c>semantic_memory</c>, as the API reads it; the tenant stays off it.</summary>
public sealed record SemanticMemoryRecord(
    Guid Id,
    string AgentId,
    string Namespace,
    string Content,
    string MetadataJson,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Version = 1,
    DateTime? ExpiresAt = null);

/// <summary>
/// A search hit: the record, its cosine similarity (1 − distance, clamped to [0, 1]), the score it was ranked by
/// (the similarity for <see cref="SearchMode.Vector"/>, the keyword rank for <see cref="SearchMode.Keyword"/>, the
/// reciprocal rank fusion for <see cref="SearchMode.Hybrid"/>) and whether the query's words matched its text.
/// </summary>
public sealed record SemanticMatch(SemanticMemoryRecord Memory, double Similarity, double Score, bool KeywordMatch = false);

/// <summary>How a search ranks: by meaning, by words, or both fused.</summary>
public enum SearchMode
{
    Hybrid,
    Vector,
    Keyword,
}

/// <summary>What a store did with a near-duplicate: none (a new record), the same fact (merged), or an update of it.</summary>
public enum SemanticDedup
{
    None,
    Same,
    Updated,
}

/// <summary>What a store did: inserted a new record, merged into the same fact, or replaced an older statement of it.</summary>
public sealed record SemanticStoreResult(SemanticMemoryRecord Memory, SemanticDedup Dedup, long VectorsAdded, long BytesAdded)
{
    /// <summary>The contract's <c>deduplicated</c>: true only when the same fact was already stored.</summary>
    public bool Deduplicated => Dedup == SemanticDedup.Same;
}

/// <summary>A new memory to store; the embedding is the content's.</summary>
public sealed record NewSemanticMemory(string AgentId, string Namespace, string Content, string MetadataJson, float[] Embedding, TimeSpan? Ttl = null);

/// <summary>
/// A search; null filters do not filter. <see cref="Text"/> is the query's text, needed by the keyword and hybrid
/// modes; <see cref="Threshold"/> bounds the similarity of every result in vector and hybrid mode (keyword mode ignores it).
/// </summary>
public sealed record SemanticQuery(
    float[] Embedding, string? AgentId, string? Namespace, string? MetadataFilterJson, int TopK, double Threshold,
    SearchMode Mode = SearchMode.Vector, string? Text = null, MetadataFilter? Filter = null);

/// <summary>A tenant's caps, checked in the same transaction as the write.</summary>
public sealed record SemanticLimits(long MaxVectors);
