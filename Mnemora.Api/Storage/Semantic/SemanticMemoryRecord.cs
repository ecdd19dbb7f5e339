namespace Mnemora.Api.Storage.Semantic;

/// <summary>A live row of <c>semantic_memory</c>, as the API reads it; the tenant stays off it.</summary>
public sealed record SemanticMemoryRecord(
    Guid Id,
    string AgentId,
    string Namespace,
    string Content,
    string MetadataJson,
    DateTime CreatedAt,
    DateTime UpdatedAt);

/// <summary>A search hit: the record and its cosine similarity (1 − distance, clamped to [0, 1]).</summary>
public sealed record SemanticMatch(SemanticMemoryRecord Memory, double Similarity);

/// <summary>What a store did: inserted a new record, or merged into a near-duplicate.</summary>
public sealed record SemanticStoreResult(SemanticMemoryRecord Memory, bool Deduplicated, long VectorsAdded, long BytesAdded);

/// <summary>A new memory to store; the embedding is the content's.</summary>
public sealed record NewSemanticMemory(string AgentId, string Namespace, string Content, string MetadataJson, float[] Embedding);

/// <summary>A search; null filters do not filter.</summary>
public sealed record SemanticQuery(float[] Embedding, string? AgentId, string? Namespace, string? MetadataFilterJson, int TopK, double Threshold);

/// <summary>A tenant's caps, checked in the same transaction as the write.</summary>
public sealed record SemanticLimits(long MaxVectors);
