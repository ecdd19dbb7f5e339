using System.Diagnostics;
using HdrHistogram;
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
        var (tenantId, client) = await context.CreateTenantAsync("scale", cancellationToken);
        using var tenant = client;
        using var anonymous = context.CreateApiClient();
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var store = host.Services.GetRequiredService<TenantStore>();
        var meter = host.Services.GetRequiredService<IUsageMeter>();

        // Interleaved, so that load from elsewhere on the machine hits both alike: each round makes the
        // authenticated call, then its equivalent without auth and quota (an anonymous round trip that
        // touches no store, plus the handler's three reads straight against DynamoDB).
        var with = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var without = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        long withTotal = 0, withoutTotal = 0;
        for (var i = -WarmUp; i < Operations; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            using (var response = await tenant.GetAsync("/v1/usage", cancellationToken))
            {
                response.EnsureSuccessStatusCode();
            }

            var withTicks = Stopwatch.GetElapsedTime(begin).Ticks;
            begin = Stopwatch.GetTimestamp();
            using (var response = await anonymous.GetAsync("/alive", cancellationToken))
            {
                response.EnsureSuccessStatusCode();
            }

            await Task.WhenAll(store.GetCallsAsync(tenantId, DateTimeOffset.UtcNow, cancellationToken), meter.GetTotalsAsync(tenantId, cancellationToken));
            var withoutTicks = Stopwatch.GetElapsedTime(begin).Ticks;
            if (i >= 0)
            {
                with.RecordValue(withTicks);
                without.RecordValue(withoutTicks);
                withTotal += withTicks;
                withoutTotal += withoutTicks;
            }
        }

        var withAuth = new Measurement("api GET /v1/usage (auth+quota+reads)", with.TotalCount, TimeSpan.FromTicks(withTotal), with);
        var withoutAuth = new Measurement("same without auth+quota (/alive+reads)", without.TotalCount, TimeSpan.FromTicks(withoutTotal), without);
        Console.WriteLine(withAuth);
        Console.WriteLine(withoutAuth);
        foreach (var p in (double[])[50, 99])
        {
            Console.WriteLine($"{"added by auth+quota, p" + p,-40} {withAuth.Percentile(p) - withoutAuth.Percentile(p),10:F2} ms");
        }

        // The parts, alone: the quota's conditional write (once per lease), and a key lookup when the cache misses.
        var quotaTenant = $"bench-quota-{Guid.NewGuid():N}";
        await Measure.RunAsync("store: one quota write (per lease of calls)", (_, ct) =>
            store.TryCountCallsAsync(quotaTenant, DateTimeOffset.UtcNow, long.MaxValue, 1, ct), Operations, cancellationToken: cancellationToken);
        var keyHash = (await store.ListKeysAsync(tenantId, cancellationToken))[0].KeyHash;
        await Measure.RunAsync("store: key lookup on a cache miss", async (_, ct) =>
        {
            var key = await store.FindKeyAsync(keyHash, ct);
            await store.GetTenantAsync(key!.TenantId, ct);
        }, Operations, cancellationToken: cancellationToken);

    }
}
