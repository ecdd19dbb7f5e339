using Amazon.S3.Model;
using Microsoft.Extensions.Time.Testing;
using Mnemora.Storage.Audit;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Tests.Infrastructure;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Tests.Memory;

/// <summary>A tenant's retention_days, enforced on its episodes in DynamoDB and S3, by whole UTC days of the stores' clock.</summary>
public sealed class EpisodeRetentionTests(StoreSystem system)
{
    // Noon, so that a few minutes of appends never cross a day.
    private static readonly DateTimeOffset s_start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task EpisodesOlderThanTheRetentionLeaveHotAndColdAndNothingElseDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(s_start) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        using var host = await MemoryHost.CreateAsync(system.App, clock);
        var expiring = await CreateTenantAsync(host, retentionDays: 7, ct);
        var unlimited = await CreateTenantAsync(host, retentionDays: null, ct);
        var longer = await CreateTenantAsync(host, retentionDays: 365, ct);
        string[] tenants = [expiring, unlimited, longer];

        // Day 0: six episodes moved to S3 (two sessions: two batches) and three left hot, for the same agent id in each tenant.
        foreach (var tenant in tenants)
        {
            await AppendAsync(host, tenant, 6, ct);
            Assert.Equal(6, await host.Mover.MovePartitionAsync($"{tenant}#agent-1", EpisodePosition.FormatTimestamp(clock.GetUtcNow()) + "#~", null, ct));
            await AppendAsync(host, tenant, 3, ct);
        }

        var expiredObjects = await host.ColdObjectKeysAsync(expiring, "agent-1", ct);
        Assert.Equal(2, expiredObjects.Count);

        // Day 5: two newer episodes, which a 7-day retention keeps.
        clock.Advance(TimeSpan.FromDays(5));
        var newer = await AppendAsync(host, expiring, 2, ct);

        // Day 7 is still within 7 whole days of day 0; day 8 is not.
        clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(RetentionCounts.None, await host.Get<EpisodeRetention>().ExpireTenantAsync((await host.Get<TenantStore>().GetTenantAsync(expiring, ct))!, "test-run-0", ct));
        Assert.Equal(11, (await host.ReadAllAsync(expiring, "agent-1", new EpisodeQuery(Limit: 100), ct)).Count);

        clock.Advance(TimeSpan.FromDays(1));
        await host.Get<EpisodeRetention>().ExpireAllAsync("test-run-1", ct);

        Assert.Equal(newer, await host.ReadAllAsync(expiring, "agent-1", new EpisodeQuery(Limit: 100), ct));
        Assert.Equal(2, await host.HotCountAsync(expiring, "agent-1", ct));
        Assert.Empty(await host.ColdBatchesAsync(expiring, "agent-1", ct));
        Assert.Empty(await host.ColdObjectKeysAsync(expiring, "agent-1", ct));
        foreach (var kept in new[] { unlimited, longer })
        {
            Assert.Equal(9, (await host.ReadAllAsync(kept, "agent-1", new EpisodeQuery(Limit: 100), ct)).Count);
            Assert.Equal(3, await host.HotCountAsync(kept, "agent-1", ct));
            Assert.Equal(2, (await host.ColdObjectKeysAsync(kept, "agent-1", ct)).Count);
        }

        // The tenant's audit trail says what went, in counts; the others' say nothing.
        var audit = host.Get<AuditLog>();
        var expired = Assert.Single((await audit.ReadAsync(expiring, 100, null, ct)).Events, e => e.Action == AuditActions.RetentionExpired);
        Assert.Equal("test-run-1", expired.RequestId);
        Assert.Equal(EpisodeRetention.Actor, expired.Actor);
        Assert.Equal("3", expired.Details["hot_episodes"]);
        Assert.Equal("6", expired.Details["cold_episodes"]);
        Assert.Equal("2", expired.Details["cold_batches"]);
        Assert.Equal("2", expired.Details["s3_objects"]);
        Assert.Equal("2026-03-11", expired.Details["before_day"]);
        Assert.DoesNotContain(expired.Details.Values, v => v.Contains("episode ", StringComparison.Ordinal));
        Assert.DoesNotContain((await audit.ReadAsync(unlimited, 100, null, ct)).Events, e => e.Action == AuditActions.RetentionExpired);
        Assert.DoesNotContain((await audit.ReadAsync(longer, 100, null, ct)).Events, e => e.Action == AuditActions.RetentionExpired);

        // A second pass finds nothing and records nothing.
        Assert.Equal(RetentionCounts.None, await host.Get<EpisodeRetention>().ExpireTenantAsync((await host.Get<TenantStore>().GetTenantAsync(expiring, ct))!, "test-run-2", ct));
        Assert.Single((await audit.ReadAsync(expiring, 100, null, ct)).Events, e => e.Action == AuditActions.RetentionExpired);
    }

    [Fact]
    public async Task AnObjectLeftWithoutItsIndexItemIsStillExpired()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider(s_start) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        using var host = await MemoryHost.CreateAsync(system.App, clock);
        var tenant = await CreateTenantAsync(host, retentionDays: 1, ct);
        await AppendAsync(host, tenant, 4, ct);
        await host.Mover.MovePartitionAsync($"{tenant}#agent-1", EpisodePosition.FormatTimestamp(clock.GetUtcNow()) + "#~", null, ct);
        // A crash between deleting the index items and the objects leaves objects that no index names.
        foreach (var batch in await host.ColdBatchesAsync(tenant, "agent-1", ct))
        {
            await host.Get<ColdEpisodeStore>().DeleteIndexAsync($"{tenant}#agent-1", batch, ct);
        }

        await host.S3.PutObjectAsync(new PutObjectRequest { BucketName = host.Options.EpisodesBucket, Key = $"{tenant}/agent-1/2026-03-12/s9/x.ndjson.gz", ContentBody = "kept" }, ct);

        clock.Advance(TimeSpan.FromDays(2));
        var counts = await host.Get<EpisodeRetention>().ExpireTenantAsync((await host.Get<TenantStore>().GetTenantAsync(tenant, ct))!, "test-run", ct);

        Assert.Equal(2, counts.S3Objects);
        Assert.Equal([$"{tenant}/agent-1/2026-03-12/s9/x.ndjson.gz"], await host.ColdObjectKeysAsync(tenant, "agent-1", ct));
    }

    private static async Task<string> CreateTenantAsync(MemoryHost host, int? retentionDays, CancellationToken ct)
    {
        var tenants = host.Get<TenantStore>();
        var id = $"t-{Guid.NewGuid():N}";
        Assert.True(await tenants.CreateTenantAsync(new TenantRecord(id, "Retention", "free", s_start.UtcDateTime, DeletedAt: null), ct));
        if (retentionDays is not null)
        {
            Assert.NotNull(await tenants.SetRetentionAsync(id, retentionDays, ct));
        }

        return id;
    }

    private static async Task<List<EpisodeRecord>> AppendAsync(MemoryHost host, string tenant, int count, CancellationToken ct)
    {
        var written = new List<EpisodeRecord>();
        for (var i = 0; i < count; i++)
        {
            written.Add(await host.Episodes.AppendAsync(tenant, "agent-1", i % 2 == 0 ? "s1" : "s2", "observation", $$"""{"text":"episode {{i}}"}""", "{}", UsageLimits.Unlimited, ct));
        }

        return written;
    }
}
