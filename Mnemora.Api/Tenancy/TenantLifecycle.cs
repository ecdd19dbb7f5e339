using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tenancy;

/// <summary>The steps of a tenant's end, in the order that keeps it safe: marked deleted, keys revoked, then its memories erased.</summary>
public sealed class TenantLifecycle(TenantStore store, ApiKeyStore keys, IEnumerable<ITenantErasure> erasures, TimeProvider time)
{
    /// <summary>
    /// Marks the tenant deleted and revokes its keys first, so nothing new arrives, then runs every
    /// erasure. Deleting again re-runs them (idempotent), which is how a failed one is retried.
    /// Null when there is no such tenant.
    /// </summary>
    public async Task<TenantDeletion?> DeleteAsync(string tenantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (await store.MarkDeletedAsync(tenantId, now, cancellationToken) is null)
        {
            return null;
        }

        var revoked = await keys.RevokeAllKeysAsync(tenantId, now, cancellationToken);
        var deleted = new TenantPurgeCounts();
        foreach (var erasure in erasures)
        {
            deleted += await erasure.EraseAsync(tenantId, cancellationToken);
        }

        return new TenantDeletion(tenantId, revoked, deleted);
    }
}

/// <summary>What deleting a tenant did: the keys it revoked and the records it erased.</summary>
public sealed record TenantDeletion(string TenantId, int KeysRevoked, TenantPurgeCounts Deleted);
