using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Tenancy;

/// <summary>A tenant's usage from its counters: three item reads, whatever the tenant's size. Shared by <c>/v1/usage</c> and the operator's tenant view.</summary>
public sealed class UsageReader(CallCounters store, CallLeases leases, IUsageMeter meter, TimeProvider time)
{
    public async Task<TenantUsage> ReadAsync(string tenantId, TenantTier tier, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var callsTask = store.GetCallsAsync(tenantId, now, cancellationToken);
        var totalsTask = meter.GetTotalsAsync(tenantId, cancellationToken);
        var calls = await callsTask;
        // The counters run ahead by this replica's unused lease of calls.
        var leased = leases.Unused(tenantId, now);
        var totals = await totalsTask;
        return new TenantUsage(tier, calls.Today - leased, calls.Month - leased, totals, TenantItems.BillingPeriod(now));
    }
}

/// <summary>What a tenant used: calls today and this billing period, and its stored totals, under its tier.</summary>
public sealed record TenantUsage(TenantTier Tier, long CallsToday, long CallsMonth, UsageTotals Totals, string BillingPeriod);
