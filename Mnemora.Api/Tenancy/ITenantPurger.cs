namespace Mnemora.Api.Tenancy;

/// <summary>
/// Erases a deleted tenant's memories from one store. Each memory feature registers its own
/// (state and hot episodes in DynamoDB, semantic memory in PostgreSQL, cold episodes in S3);
/// <c>DELETE /admin/v1/tenants/{id}</c> runs them all after revoking the tenant's keys, so no new
/// data can arrive while they run. Implementations enumerate the tenant's agents from the agent
/// registry (<c>TENANT#{id}</c>, <c>AGENT#…</c>) or their own tenant-keyed index, never a Scan,
/// and must be idempotent: the operator retries a failed purge by deleting the tenant again.
/// </summary>
public interface ITenantPurger
{
    Task<TenantPurgeCounts> PurgeAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>What a purge removed; the operator API sums the counts of every purger.</summary>
public sealed record TenantPurgeCounts(long State = 0, long Semantic = 0, long Episodic = 0, long S3Objects = 0)
{
    public static TenantPurgeCounts operator +(TenantPurgeCounts a, TenantPurgeCounts b) =>
        new(a.State + b.State, a.Semantic + b.Semantic, a.Episodic + b.Episodic, a.S3Objects + b.S3Objects);
}
