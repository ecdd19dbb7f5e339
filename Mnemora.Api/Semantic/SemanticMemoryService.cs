using Microsoft.Extensions.AI;
using Mnemora.Api.Http;
using Mnemora.Api.Storage.Semantic;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Semantic;

/// <summary>
/// Semantic memory as the routes (and other features: summaries, the whole-agent view) use it:
/// embeds text, enforces the tier's caps and keeps the usage counters current. Inputs are already
/// validated; the tenant always comes from <see cref="TenantContext"/>.
/// </summary>
public sealed class SemanticMemoryService(
    SemanticMemoryRepository repository,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IUsageMeter usage)
{
    public async Task<SemanticStoreResult> StoreAsync(
        TenantContext tenant, string agentId, string @namespace, string content, string metadataJson, CancellationToken cancellationToken)
    {
        var limits = TierLimits.For(tenant.Tier);
        // The usage read and the embedding do not depend on each other: overlap them.
        var totalsTask = usage.GetTotalsAsync(tenant.TenantId, cancellationToken);
        var vectorTask = EmbedAsync(content, cancellationToken);
        var totals = await totalsTask;
        if (totals.StorageBytes + SemanticMemoryRepository.StoredBytes(content, metadataJson) > limits.StorageBytes)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, ErrorCodes.StorageLimitExceeded,
                $"The tenant's plan holds at most {limits.StorageBytes} bytes. Delete memories or upgrade the plan.");
        }

        var vector = await vectorTask;
        var result = await repository.StoreAsync(
            tenant.TenantId, new NewSemanticMemory(agentId, @namespace, content, metadataJson, vector), new SemanticLimits(limits.Vectors), cancellationToken);

        await Task.WhenAll(
            usage.RecordAsync(tenant.TenantId, new UsageDelta(Vectors: result.VectorsAdded, EmbeddingsGenerated: 1, PostgresBytes: result.BytesAdded), cancellationToken),
            usage.TrackAgentAsync(tenant.TenantId, agentId, sessionId: null, cancellationToken));
        return result;
    }

    public async Task<IReadOnlyList<SemanticMatch>> SearchAsync(
        TenantContext tenant, string query, string? agentId, string? @namespace, string? metadataFilterJson, int topK, double threshold, CancellationToken cancellationToken)
    {
        var vector = await EmbedAsync(query, cancellationToken);
        var recorded = usage.RecordAsync(tenant.TenantId, new UsageDelta(EmbeddingsGenerated: 1), cancellationToken);
        var matches = await repository.SearchAsync(
            tenant.TenantId, new SemanticQuery(vector, agentId, @namespace, metadataFilterJson, topK, threshold), cancellationToken);
        await recorded;
        return matches;
    }

    public Task<SemanticMemoryRecord?> GetAsync(TenantContext tenant, Guid id, CancellationToken cancellationToken) =>
        repository.GetAsync(tenant.TenantId, id, cancellationToken);

    public async Task<bool> DeleteAsync(TenantContext tenant, Guid id, CancellationToken cancellationToken)
    {
        if (await repository.DeleteAsync(tenant.TenantId, id, cancellationToken) is not { } bytes)
        {
            return false;
        }

        await usage.RecordAsync(tenant.TenantId, new UsageDelta(Vectors: -1, PostgresBytes: -bytes), cancellationToken);
        return true;
    }

    private async Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        var generated = await embeddings.GenerateAsync([text], cancellationToken: cancellationToken);
        return generated[0].Vector.ToArray();
    }
}
