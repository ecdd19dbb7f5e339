using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Apis;

public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder tenantApi)
    {
        tenantApi.MapGet("/usage", GetUsage)
            .WithName("GetUsage")
            .WithTags("Usage")
            .WithSummary("The tenant's calls today and this month, stored vectors and bytes, agents and sessions, against its tier's limits.");
        return tenantApi;
    }

    public static async Task<ApiOk<UsageResponse>> GetUsage(
        TenantContext tenant,
        TenantStore store,
        CallLeases leases,
        IUsageMeter meter,
        TimeProvider time,
        CancellationToken cancellationToken) =>
        ApiResults.Ok(await ReadUsageAsync(tenant.TenantId, tenant.Tier, store, leases, meter, time, cancellationToken));

    /// <summary>A tenant's usage from its counters: three item reads, whatever the tenant's size.</summary>
    internal static async Task<UsageResponse> ReadUsageAsync(
        string tenantId,
        TenantTier tier,
        TenantStore store,
        CallLeases leases,
        IUsageMeter meter,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var callsTask = store.GetCallsAsync(tenantId, now, cancellationToken);
        var totalsTask = meter.GetTotalsAsync(tenantId, cancellationToken);
        var calls = await callsTask;
        var leased = leases.Unused(tenantId, now);
        var totals = await totalsTask;
        return new UsageResponse(
            ApiCallsToday: calls.Today - leased,
            DailyLimit: TierLimits.For(tier).CallsPerDay,
            ApiCallsMonth: calls.Month - leased,
            EmbeddingsGeneratedMonth: totals.EmbeddingsGeneratedThisMonth,
            VectorsStored: totals.Vectors,
            StorageBytes: totals.StorageBytes,
            Storage: new StorageUsage(totals.DynamoBytes, totals.S3Bytes, totals.PostgresBytes),
            AgentsCount: totals.Agents,
            SessionsCount: totals.Sessions,
            BillingPeriod: TenantItems.BillingPeriod(now),
            Tier: TenantTiers.Name(tier));
    }
}

public sealed record UsageResponse(
    long ApiCallsToday,
    long DailyLimit,
    long ApiCallsMonth,
    long EmbeddingsGeneratedMonth,
    long VectorsStored,
    long StorageBytes,
    StorageUsage Storage,
    long AgentsCount,
    long SessionsCount,
    string BillingPeriod,
    string Tier);

public sealed record StorageUsage(long DynamoBytes, long S3Bytes, long PostgresBytes);
