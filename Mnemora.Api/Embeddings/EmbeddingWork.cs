using Microsoft.Extensions.AI;

namespace Mnemora.Api.Embeddings;

/// <summary>Which line a text waits in: what a caller is waiting on now, or work that can wait (imports, summaries).</summary>
public enum EmbeddingLane
{
    Interactive,
    Bulk,
}

/// <summary>
/// Whose embedding work a call is, told to the shared queue (<see cref="BatchingEmbeddingGenerator"/>) through the
/// options every <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> call takes: the queue shares the model
/// between tenants in turn and puts interactive texts ahead of bulk ones. Work without a tenant (the warm-up) waits
/// as a tenant of its own.
/// </summary>
public static class EmbeddingWork
{
    private const string TenantKey = "mnemora.tenant";
    private const string LaneKey = "mnemora.lane";

    public static EmbeddingGenerationOptions For(string tenantId, EmbeddingLane lane) => new()
    {
        AdditionalProperties = new AdditionalPropertiesDictionary { [TenantKey] = tenantId, [LaneKey] = lane },
    };

    internal static (string TenantId, EmbeddingLane Lane) Of(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties is { } properties
            ? (properties.TryGetValue(TenantKey, out var tenant) && tenant is string id ? id : "",
               properties.TryGetValue(LaneKey, out var lane) && lane is EmbeddingLane l ? l : EmbeddingLane.Interactive)
            : ("", EmbeddingLane.Interactive);
}
