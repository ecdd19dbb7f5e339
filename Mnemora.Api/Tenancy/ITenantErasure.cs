namespace Mnemora.Api.Tenancy;

/// <summary>
/// Erases a deleted tenant's memories. <see cref="TenantLifecycle"/> runs every registered erasure
/// after revoking the tenant's keys, so no new data can arrive while they run. Implementations
/// enumerate the tenant's agents from the agent registry (<c>TENANT#{id}</c>, <c>AGENT#…</c>) or
/// their own tenant-keyed index, never a Scan, and must be idempotent: the operator retries a
/// failed erasure by deleting the tenant again.
/// </summary>
public interface ITenantErasure
{
    Task<TenantPurgeCounts> EraseAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>What an erasure removed, per store; the operator API sums the counts of every erasure.</summary>
public sealed record TenantPurgeCounts(long State = 0, long Semantic = 0, long Episodic = 0, long S3Objects = 0)
{
    public static TenantPurgeCounts operator +(TenantPurgeCounts a, TenantPurgeCounts b) =>
        new(a.State + b.State, a.Semantic + b.Semantic, a.Episodic + b.Episodic, a.S3Objects + b.S3Objects);
}
