using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemora.Storage;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Benchmarks;

/// <summary>
/// What authentication plus the daily quota add to a request. GET /v1/usage is authenticated and
/// counted; its handler does three item reads. The same reads straight against DynamoDB, and an
/// anonymous request that touches no store (/alive), give the request without auth and quota:
/// added ≈ usage − floor − reads. The quota's own store work and an uncached key lookup are
/// measured alone too.
/// </summary>
internal sealed class AuthQuotaBenchmark : IBenchmark
{
    private const int Operations = 2_000;

    public string Name => "auth-quota";

    public string Description => "Added latency of API-key authentication + daily quota, against the same request without them";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (tenantId, client) = await context.CreateTenantAsync("scale", cancellationToken);
        using var tenant = client;
        using var anonymous = context.CreateApiClient();
        using var host = await StoreHostAsync(context, cancellationToken);
        var store = host.Services.GetRequiredService<TenantStore>();
        var meter = host.Services.GetRequiredService<IUsageMeter>();

        var floor = await Measure.RunAsync("api GET /alive (anonymous, no store)", async (_, ct) =>
        {
            using var response = await anonymous.GetAsync("/alive", ct);
            response.EnsureSuccessStatusCode();
        }, Operations, cancellationToken: cancellationToken);

        var reads = await Measure.RunAsync("store: the usage handler's 3 reads", async (_, ct) =>
        {
            var calls = store.GetCallsAsync(tenantId, DateTimeOffset.UtcNow, ct);
            var totals = meter.GetTotalsAsync(tenantId, ct);
            await Task.WhenAll(calls, totals);
        }, Operations, cancellationToken: cancellationToken);

        var usage = await Measure.RunAsync("api GET /v1/usage (auth+quota+reads)", async (_, ct) =>
        {
            using var response = await tenant.GetAsync("/v1/usage", ct);
            response.EnsureSuccessStatusCode();
        }, Operations, cancellationToken: cancellationToken);

        // The parts, alone: the quota's two conditional writes, and a key lookup when the cache misses.
        var quotaTenant = $"bench-quota-{Guid.NewGuid():N}";
        await Measure.RunAsync("store: quota count (day + month ADD)", (_, ct) =>
            store.TryCountCallAsync(quotaTenant, DateTimeOffset.UtcNow, long.MaxValue, ct), Operations, cancellationToken: cancellationToken);
        var keyHash = (await store.ListKeysAsync(tenantId, cancellationToken))[0].KeyHash;
        await Measure.RunAsync("store: key lookup on a cache miss", async (_, ct) =>
        {
            var key = await store.FindKeyAsync(keyHash, ct);
            await store.GetTenantAsync(key!.TenantId, ct);
        }, Operations, cancellationToken: cancellationToken);

        foreach (var p in (double[])[50, 99])
        {
            var added = usage.Percentile(p) - floor.Percentile(p) - reads.Percentile(p);
            Console.WriteLine($"{"added by auth+quota, p" + p,-40} {added,10:F2} ms   (usage - floor - reads)");
        }
    }

    /// <summary>The stores' clients as a service replica registers them, pointed at the running system.</summary>
    private static async Task<IHost> StoreHostAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = await context.ConnectionStringAsync("postgres"),
            ["ConnectionStrings:dynamodb"] = await context.ConnectionStringAsync("dynamodb"),
            ["ConnectionStrings:s3"] = await context.ConnectionStringAsync("s3"),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddMnemoraStorage(provision: false);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
