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
public sealed record SemanticMemory(
    Guid Id,
    string AgentId,
    string Content,
    string Namespace,
    JsonObject Metadata,
    double? SimilarityScore,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool Deduplicated);

internal sealed record StoreSemanticRequest(string AgentId, string Content, string? Namespace, JsonObject? Metadata);

internal sealed record SearchSemanticRequest(string Query, string? AgentId, string? Namespace, int? TopK, double? Threshold, JsonObject? MetadataFilter);

internal sealed record SemanticResults(IReadOnlyList<SemanticMemory> Results);
