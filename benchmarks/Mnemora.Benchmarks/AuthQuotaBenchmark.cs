using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Benchmarks;

/// <summary>
/// What authentication plus the daily quota add to a request. GET /v1/usage is authenticated and
/// counted; its handler does three item reads. The same reads straight against DynamoDB after an
/// anonymous request that touches no store (/alive) are the request without auth and quota. The
/// quota's own store work and an uncached key lookup are measured alone too.
/// </summary>
internal sealed class AuthQuotaBenchmark : IBenchmark
{
    private const int Operations = 2_000;
    private const int WarmUp = 100;

    public string Name => "auth-quota";

    public string Description => "Added latency of API-key authentication + daily quota, against the same request without them";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var store = host.Services.GetRequiredService<TenantStore>();
        var keys = host.Services.GetRequiredService<ApiKeyStore>();
        var calls = host.Services.GetRequiredService<CallCounters>();
        var meter = host.Services.GetRequiredService<IUsageMeter>();
        string tenantId = "";
        // Scale first: its 2,000 calls leave the API's code warm (tiered JIT), which the free tier's few calls could not.
        foreach (var tier in (string[])["scale", "free"])
        {
            (tenantId, var client) = await context.CreateTenantAsync(tier, cancellationToken);
            using var tenant = client;
            await MeasurePairedAsync(context, tier, tenantId, tenant, calls, meter, cancellationToken);
        }

        // The parts, alone: the quota's conditional write (once per lease), and a key lookup when the cache misses.
        var quotaTenant = $"bench-quota-{Guid.NewGuid():N}";
        await Measure.RunAsync("store: one quota write (per lease of calls)", (_, ct) =>
            calls.TryCountCallsAsync(quotaTenant, DateTimeOffset.UtcNow, long.MaxValue, 1, ct), Operations, cancellationToken: cancellationToken);
        var keyHash = (await keys.ListKeysAsync(tenantId, cancellationToken))[0].KeyHash;
        await Measure.RunAsync("store: key lookup on a cache miss", async (_, ct) =>
        {
            var key = await keys.FindKeyAsync(keyHash, ct);
            await store.GetTenantAsync(key!.TenantId, ct);
        }, Operations, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Interleaved, so that load from elsewhere on the machine hits both alike: each round makes the
    /// authenticated call, then its equivalent without auth and quota (an anonymous round trip that
    /// touches no store, plus the handler's reads straight against DynamoDB); the goal is on the
    /// distribution of the paired differences.
    /// </summary>
    private async Task MeasurePairedAsync(BenchmarkContext context, string tier, string tenantId, HttpClient tenant, CallCounters calls, IUsageMeter meter, CancellationToken cancellationToken)
    {
        using var anonymous = context.CreateApiClient();
        var pairs = new PairedSeries();
        // The free tier's 500 calls a day bound its run: kept below its last 128, which are leased one by one.
        var operations = tier == "free" ? 300 : Operations;
        var warmUp = tier == "free" ? 50 : WarmUp;
        for (var i = -warmUp; i < operations; i++)
        {
            // The order alternates, so neither side is always the one that finds the stores just woken.
            long withTicks, withoutTicks;
            if (i % 2 == 0)
            {
                withTicks = await TimeAsync(() => WithAsync(tenant, cancellationToken));
                withoutTicks = await TimeAsync(() => WithoutAsync(anonymous, tenantId, calls, meter, cancellationToken));
            }
            else
            {
                withoutTicks = await TimeAsync(() => WithoutAsync(anonymous, tenantId, calls, meter, cancellationToken));
                withTicks = await TimeAsync(() => WithAsync(tenant, cancellationToken));
            }

            if (i >= 0)
            {
                pairs.Record(withTicks, withoutTicks);
            }
        }

        Console.WriteLine(pairs.First($"{tier}: api GET /v1/usage (auth+quota+reads)"));
        Console.WriteLine(pairs.Second($"{tier}: same without auth+quota"));
        var (p50, p99) = (pairs.Difference(50), pairs.Difference(99));
        BenchmarkResults.Goal(Name, $"{tier}: auth+quota added p50 <= 0.3 ms (paired)", p50 <= 0.3, $"{p50:F2} ms");
        BenchmarkResults.Goal(Name, $"{tier}: auth+quota added p99 <= 1 ms (paired)", p99 <= 1, $"{p99:F2} ms");
    }

    private static async Task<long> TimeAsync(Func<Task> operation)
    {
        var begin = Stopwatch.GetTimestamp();
        await operation();
        return Stopwatch.GetElapsedTime(begin).Ticks;
    }

    /// <summary>The authenticated, counted call.</summary>
    private static async Task WithAsync(HttpClient tenant, CancellationToken cancellationToken)
    {
        using var response = await tenant.GetAsync("/v1/usage", cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The same without auth and quota: an anonymous round trip that touches no store, then the handler's reads.</summary>
    private static async Task WithoutAsync(HttpClient anonymous, string tenantId, CallCounters calls, IUsageMeter meter, CancellationToken cancellationToken)
    {
        using (var response = await anonymous.GetAsync("/alive", cancellationToken))
        {
            response.EnsureSuccessStatusCode();
        }

        await Task.WhenAll(calls.GetCallsAsync(tenantId, DateTimeOffset.UtcNow, cancellationToken), meter.GetTotalsAsync(tenantId, cancellationToken));
    }
}
