using Microsoft.Extensions.AI;
using Mnemora.Api.Embeddings;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Semantic;
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
    IUsageMeter usage,
    TierCatalog tiers)
{
    public Task<SemanticStoreResult> StoreAsync(
        TenantContext tenant, string agentId, string @namespace, string content, string metadataJson, CancellationToken cancellationToken) =>
        StoreAsync(tenant, agentId, @namespace, content, metadataJson, ttl: null, cancellationToken);

    /// <summary>
    /// Stores a memory (or merges it into a near-duplicate). Its embedding and an upper estimate of its bytes
    /// (content, metadata, vector: also what a merge or update can add) are reserved first, atomically, so
    /// nothing is embedded past the month's allowance and concurrent writers cannot pass the storage limit;
    /// once stored, the difference to what the store really added is recorded.
    /// </summary>
    public async Task<SemanticStoreResult> StoreAsync(
        TenantContext tenant, string agentId, string @namespace, string content, string metadataJson, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        var limits = tiers.For(tenant.Tier);
        var reserved = new UsageDelta(EmbeddingsGenerated: 1, PostgresBytes: SemanticMemoryRepository.StoredBytes(content, metadataJson));
        await usage.ReserveAsync(tenant.TenantId, reserved, limits.Usage, cancellationToken);
        SemanticStoreResult result;
        try
        {
            var vector = await EmbedAsync(tenant.TenantId, content, cancellationToken);
            result = await repository.StoreAsync(
                tenant.TenantId, new NewSemanticMemory(agentId, @namespace, content, metadataJson, vector, ttl), new SemanticLimits(limits.Vectors), cancellationToken);
        }
        catch
        {
            await ReleaseAsync(tenant, reserved);
            throw;
        }

        var rest = new UsageDelta(Vectors: result.VectorsAdded, EmbeddingsGenerated: 1, PostgresBytes: result.BytesAdded).Minus(reserved);
        await Task.WhenAll(
            rest.IsEmpty ? Task.CompletedTask : usage.RecordAsync(tenant.TenantId, rest, cancellationToken),
            usage.TrackAgentAsync(tenant.TenantId, agentId, sessionId: null, cancellationToken));
        return result;
    }

    /// <summary>Semantic search; its query embedding counts against the month's allowance (reserved before it is made).</summary>
    public async Task<IReadOnlyList<SemanticMatch>> SearchAsync(
        TenantContext tenant, string query, string? agentId, string? @namespace, string? metadataFilterJson, int topK, double threshold,
        SearchMode mode, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var reserved = new UsageDelta(EmbeddingsGenerated: 1);
        await usage.ReserveAsync(tenant.TenantId, reserved, tiers.For(tenant.Tier).Usage, cancellationToken);
        float[] vector;
        try
        {
            vector = await EmbedAsync(tenant.TenantId, query, cancellationToken);
        }
        catch
        {
            await ReleaseAsync(tenant, reserved);
            throw;
        }

        return await repository.SearchAsync(
            tenant.TenantId, new SemanticQuery(vector, agentId, @namespace, metadataFilterJson, topK, threshold, mode, query, filter), cancellationToken);
    }

    public Task<SemanticMemoryRecord?> GetAsync(TenantContext tenant, Guid id, CancellationToken cancellationToken) =>
        repository.GetAsync(tenant.TenantId, id, cancellationToken);

    /// <summary>
    /// Edits a memory; a content change is embedded again. The storage check counts what the edit adds: the new row's
    /// bytes less the current row's.
    /// </summary>
    public async Task<SemanticPatchResult> PatchAsync(
        TenantContext tenant, Guid id, string? content, string? metadataJson, string? @namespace, long? expectedVersion, CancellationToken cancellationToken)
    {
        if (await repository.GetAsync(tenant.TenantId, id, cancellationToken) is not { } current)
        {
            return SemanticPatchResult.NotFound;
        }

        var limits = tiers.For(tenant.Tier);
        var growth = SemanticMemoryRepository.StoredBytes(content ?? current.Content, metadataJson ?? current.MetadataJson)
            - SemanticMemoryRepository.StoredBytes(current.Content, current.MetadataJson);
        // The growth and a new embedding are reserved like a store's, atomically; a failed edit gives them back.
        var reserved = new UsageDelta(EmbeddingsGenerated: content is null ? 0 : 1, PostgresBytes: Math.Max(0, growth));
        if (!reserved.IsEmpty)
        {
            await usage.ReserveAsync(tenant.TenantId, reserved, limits.Usage, cancellationToken);
        }

        SemanticPatchResult result;
        try
        {
            var vector = content is null ? null : await EmbedAsync(tenant.TenantId, content, cancellationToken);
            result = await repository.PatchAsync(
                tenant.TenantId, id, new SemanticPatch(content, vector, metadataJson, @namespace, expectedVersion), cancellationToken);
        }
        catch
        {
            await ReleaseAsync(tenant, reserved);
            throw;
        }

        var done = result.Outcome == SemanticPatchOutcome.Patched
            ? new UsageDelta(EmbeddingsGenerated: reserved.EmbeddingsGenerated, PostgresBytes: result.BytesAdded)
            : new UsageDelta();
        var rest = done.Minus(reserved);
        if (!rest.IsEmpty)
        {
            await usage.RecordAsync(tenant.TenantId, rest, cancellationToken);
        }

        return result;
    }

    public Task<IReadOnlyList<SemanticVersion>?> GetHistoryAsync(TenantContext tenant, Guid id, CancellationToken cancellationToken) =>
        repository.GetHistoryAsync(tenant.TenantId, id, cancellationToken);

    public Task<SemanticPage> ListAsync(TenantContext tenant, string agentId, string? @namespace, int limit, string? cursor, MetadataFilter? filter, CancellationToken cancellationToken) =>
        repository.ListAsync(tenant.TenantId, agentId, @namespace, limit, cursor, cancellationToken, filter);

    public async Task<bool> DeleteAsync(TenantContext tenant, Guid id, CancellationToken cancellationToken)
    {
        if (await repository.DeleteAsync(tenant.TenantId, id, cancellationToken) is not { } bytes)
        {
            return false;
        }

        await usage.RecordAsync(tenant.TenantId, new UsageDelta(Vectors: -1, PostgresBytes: -bytes), cancellationToken);
        return true;
    }

    // Given back even when the request was cancelled: the reservation must not outlive the write it was for.
    private Task ReleaseAsync(TenantContext tenant, UsageDelta reserved) =>
        usage.RecordAsync(tenant.TenantId, reserved.Negated(), CancellationToken.None);

    private async Task<float[]> EmbedAsync(string tenantId, string text, CancellationToken cancellationToken)
    {
        var generated = await embeddings.GenerateAsync([text], EmbeddingWork.For(tenantId, EmbeddingLane.Interactive), cancellationToken);
        return generated[0].Vector.ToArray();
    }
}
