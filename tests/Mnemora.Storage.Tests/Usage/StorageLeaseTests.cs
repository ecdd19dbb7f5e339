using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Tests.Infrastructure;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Tests.Usage;

/// <summary>
/// Storage leases (<c>DynamoUsageMeter.Leases.cs</c>), against the real DynamoDB emulator: writes reserved out of a
/// lease cost no store write, are exact when read, reach the table on a flush, never pass the limit across two
/// replicas, and a crashed replica's lease is taken back. Each replica runs on a fake clock, so its background
/// flush runs only when a test says so.
/// </summary>
public sealed class StorageLeaseTests(StoreSystem system)
{
    private const string StorageBytes = "storage_bytes";

    [Fact]
    public async Task WritesReservedOutOfALeaseAreReadExactlyWrittenOnAFlushAndTheLeaseIsGivenBackOnStop()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        using var replica = await LeasingHostAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), ct);
        using var witness = await StoreHost.CreateAsync(system.App, ct);
        var meter = replica.Services.GetRequiredService<DynamoUsageMeter>();
        var limits = new UsageLimits(StorageBytes: 50_000_000, EmbeddingsPerMonth: long.MaxValue);
        var lease = 50_000_000 / 256;

        for (var i = 0; i < 100; i++)
        {
            // A write reserves its item's size and then records what it really added (here 200 bytes less).
            await meter.ReserveAsync(tenant, new UsageDelta(DynamoBytes: 1_000), limits, ct);
            await meter.RecordAsync(tenant, new UsageDelta(DynamoBytes: -200), ct);
        }

        Assert.Equal(80_000, (await meter.GetTotalsAsync(tenant, ct)).DynamoBytes);
        var before = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal(0, Number(before, "dynamo_bytes"));
        Assert.Equal(lease, Number(before, StorageBytes));

        await meter.FlushAsync(ct);
        Assert.Equal(80_000, (await witness.Services.GetRequiredService<IUsageMeter>().GetTotalsAsync(tenant, ct)).DynamoBytes);
        Assert.Equal(lease, Number(await TotalsItemAsync(witness, tenant, ct), StorageBytes));

        await replica.StopAsync(ct);
        var after = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal(80_000, Number(after, "dynamo_bytes"));
        Assert.Equal(80_000, Number(after, StorageBytes));
        Assert.DoesNotContain(after.Keys, k => k.StartsWith("lease_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoReplicasReservingAtOnceNeverPassTheLimitAndCountEveryByteOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        const long limit = 2_000_000;
        const long item = 1_000;
        var limits = new UsageLimits(limit, long.MaxValue);
        using var a = await LeasingHostAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), ct);
        using var b = await LeasingHostAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), ct);
        using var witness = await StoreHost.CreateAsync(system.App, ct);
        DynamoUsageMeter[] replicas = [a.Services.GetRequiredService<DynamoUsageMeter>(), b.Services.GetRequiredService<DynamoUsageMeter>()];

        var accepted = 0L;
        var refused = 0L;
        await Parallel.ForAsync(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (worker, token) =>
        {
            var meter = replicas[worker % 2];
            while (true)
            {
                try
                {
                    await meter.ReserveAsync(tenant, new UsageDelta(DynamoBytes: item), limits, token);
                    Interlocked.Increment(ref accepted);
                }
                catch (StorageLimitException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
            }
        });

        await a.StopAsync(ct);
        await b.StopAsync(ct);

        // Never past the limit; short of it by less than one item plus what the other replica's lease held.
        Assert.Equal(8, refused);
        Assert.InRange(accepted * item, limit - item - (2 * (limit / 256)), limit);
        var stored = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal(accepted * item, Number(stored, "dynamo_bytes"));
        Assert.Equal(accepted * item, Number(stored, StorageBytes));
    }

    [Fact]
    public async Task ALeaseWhoseReplicaStoppedWithoutGivingItBackIsTakenBackOnceExpiredByAReplicaRefusedNearTheLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        const long limit = 1_000_000;
        var limits = new UsageLimits(limit, long.MaxValue);
        var start = DateTimeOffset.UtcNow;
        using var witness = await StoreHost.CreateAsync(system.App, ct);

        // This replica takes a lease and then never writes again: it crashed.
        using var crashed = await LeasingHostAsync(new FakeTimeProvider(start), ct);
        await crashed.Services.GetRequiredService<IUsageMeter>().ReserveAsync(tenant, new UsageDelta(DynamoBytes: 1_000), limits, ct);
        var lease = Number(await TotalsItemAsync(witness, tenant, ct), StorageBytes);
        Assert.Equal(limit / 256, lease);
        await witness.Services.GetRequiredService<IUsageMeter>().RecordAsync(tenant, new UsageDelta(S3Bytes: limit - lease - 500), ct);

        // Before the lease expires it is respected: 2,000 bytes do not fit in the 500 left.
        using var soon = await LeasingHostAsync(new FakeTimeProvider(start + TimeSpan.FromMinutes(5)), ct);
        await Assert.ThrowsAsync<StorageLimitException>(() =>
            soon.Services.GetRequiredService<IUsageMeter>().ReserveAsync(tenant, new UsageDelta(DynamoBytes: 2_000), limits, ct));

        // Twenty minutes on, past its expiry, the next replica refused takes it back and is served.
        using var later = await LeasingHostAsync(new FakeTimeProvider(start + TimeSpan.FromMinutes(20)), ct);
        await later.Services.GetRequiredService<IUsageMeter>().ReserveAsync(tenant, new UsageDelta(DynamoBytes: 2_000), limits, ct);
        var after = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal(limit - lease - 500 + 2_000, Number(after, StorageBytes));
        Assert.Single(after.Keys, k => k.StartsWith("lease_", StringComparison.Ordinal) && k.EndsWith("_until", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BytesFreedNearTheLimitAreReusedBeforeTheyAreWrittenAndCountedOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        const long limit = 1_000_000;
        var limits = new UsageLimits(limit, long.MaxValue);
        using var witness = await StoreHost.CreateAsync(system.App, ct);
        using var replica = await LeasingHostAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), ct);
        var meter = replica.Services.GetRequiredService<DynamoUsageMeter>();
        await witness.Services.GetRequiredService<IUsageMeter>().RecordAsync(tenant, new UsageDelta(DynamoBytes: limit - 100), ct);

        // Refused at the limit (no lease is granted), then a delete frees 5,000 bytes this replica has not written yet.
        await Assert.ThrowsAsync<StorageLimitException>(() => meter.ReserveAsync(tenant, new UsageDelta(DynamoBytes: 1_000), limits, ct));
        await meter.RecordAsync(tenant, new UsageDelta(DynamoBytes: -5_000), ct);
        await meter.ReserveAsync(tenant, new UsageDelta(DynamoBytes: 1_000), limits, ct);

        Assert.Equal(limit - 100 - 4_000, (await meter.GetTotalsAsync(tenant, ct)).DynamoBytes);
        await meter.FlushAsync(ct);
        var stored = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal(limit - 100 - 4_000, Number(stored, "dynamo_bytes"));
        Assert.Equal(limit - 100 - 4_000, Number(stored, StorageBytes));
    }

    [Fact]
    public async Task NewAgentsAndSessionsAreCountedWithTheLeaseReadExactlyAndWrittenOnAFlushOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var tenant = $"t-{Guid.NewGuid():N}";
        using var replica = await LeasingHostAsync(new FakeTimeProvider(DateTimeOffset.UtcNow), ct);
        using var witness = await StoreHost.CreateAsync(system.App, ct);
        var meter = replica.Services.GetRequiredService<DynamoUsageMeter>();
        await meter.ReserveAsync(tenant, new UsageDelta(DynamoBytes: 1_000), new UsageLimits(50_000_000, long.MaxValue), ct);

        // Two agents with three sessions, each registered twice (the second time is no new one).
        foreach (var (agent, session) in new[] { ("a", "s1"), ("a", "s2"), ("b", "s1"), ("a", "s1"), ("b", "s1") })
        {
            await meter.TrackAgentAsync(tenant, agent, session, ct);
        }

        var read = await meter.GetTotalsAsync(tenant, ct);
        Assert.Equal((2, 3), (read.Agents, read.Sessions));
        var before = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal((0, 0), (Number(before, TenantItems.Attributes.Agents), Number(before, TenantItems.Attributes.Sessions)));

        await meter.FlushAsync(ct);
        var after = await TotalsItemAsync(witness, tenant, ct);
        Assert.Equal((2, 3), (Number(after, TenantItems.Attributes.Agents), Number(after, TenantItems.Attributes.Sessions)));
        var again = await meter.GetTotalsAsync(tenant, ct);
        Assert.Equal((2, 3), (again.Agents, again.Sessions));

        // A purge on another replica uncounts what it removes, whatever this replica had pending.
        await meter.TrackAgentAsync(tenant, "b", "s2", ct);
        await witness.Services.GetRequiredService<IUsageMeter>().ForgetAgentAsync(tenant, "b", ct);
        await meter.FlushAsync(ct);
        var purged = await witness.Services.GetRequiredService<IUsageMeter>().GetTotalsAsync(tenant, ct);
        Assert.Equal((1, 2), (purged.Agents, purged.Sessions));
    }

    /// <summary>A host configured like an API replica (storage leases on), on the given clock.</summary>
    private async Task<IHost> LeasingHostAsync(TimeProvider clock, CancellationToken cancellationToken)
    {
        var settings = await StoreHost.SettingsAsync(system.App);
        settings[$"{StorageOptions.SectionName}:{nameof(StorageOptions.LeaseStorage)}"] = "true";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(clock);
        builder.AddMnemoraStorage(provision: false);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    private static async Task<Dictionary<string, AttributeValue>> TotalsItemAsync(IHost host, string tenant, CancellationToken cancellationToken)
    {
        var response = await host.Services.GetRequiredService<IAmazonDynamoDB>().GetItemAsync(new GetItemRequest
        {
            TableName = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.TenantsTable,
            Key = new(StringComparer.Ordinal) { ["pk"] = new(TenantItems.TenantPk(tenant)), ["sk"] = new(TenantItems.TotalsSk) },
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item ?? [];
    }

    private static long Number(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? long.Parse(value.N, System.Globalization.CultureInfo.InvariantCulture) : 0;
}
