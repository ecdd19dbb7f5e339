using Microsoft.Extensions.Time.Testing;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Tests.Infrastructure;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Tests.Memory;

/// <summary>Working memory at the store: versions, concurrency and expiry against the real DynamoDB emulator.</summary>
public sealed class StateStoreTests(StoreSystem system)
{
    private static string NewTenant() => $"t-{Guid.NewGuid():N}";

    [Fact]
    public async Task CreatesOverwritesUpdatesAndDeletesWithVersions()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();

        var created = await host.State.UpsertAsync(tenant, "agent-1", "default", """{"step":1}""", null, UsageLimits.Unlimited, ct);
        Assert.Equal(1, created.Version);
        Assert.Null(created.ExpiresAt);

        var overwritten = await host.State.UpsertAsync(tenant, "agent-1", "default", """{"step":2}""", null, UsageLimits.Unlimited, ct);
        Assert.Equal(2, overwritten.Version);
        Assert.Equal(created.CreatedAt, overwritten.CreatedAt);

        var updated = await host.State.UpdateAsync(tenant, "agent-1", "default", """{"step":3}""", 2, null, UsageLimits.Unlimited, ct);
        Assert.Equal(StateUpdateOutcome.Updated, updated.Outcome);
        Assert.Equal(3, updated.Record!.Version);

        var read = await host.State.GetAsync(tenant, "agent-1", "default", ct);
        Assert.Equal("""{"step":3}""", read!.DataJson);
        Assert.Equal(3, read.Version);

        Assert.Equal(StateUpdateOutcome.VersionConflict, (await host.State.UpdateAsync(tenant, "agent-1", "default", "{}", 2, null, UsageLimits.Unlimited, ct)).Outcome);
        Assert.Equal(StateUpdateOutcome.NotFound, (await host.State.UpdateAsync(tenant, "agent-1", "other", "{}", 1, null, UsageLimits.Unlimited, ct)).Outcome);

        Assert.True(await host.State.DeleteAsync(tenant, "agent-1", "default", ct));
        Assert.Null(await host.State.GetAsync(tenant, "agent-1", "default", ct));
        Assert.False(await host.State.DeleteAsync(tenant, "agent-1", "default", ct));
        Assert.Equal(1, (await host.State.UpsertAsync(tenant, "agent-1", "default", "{}", null, UsageLimits.Unlimited, ct)).Version);
    }

    [Fact]
    public async Task OfConcurrentWritersWithTheSameVersionExactlyOneWins()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();
        await host.State.UpsertAsync(tenant, "agent-1", "s1", """{"n":0}""", null, UsageLimits.Unlimited, ct);

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i =>
            host.State.UpdateAsync(tenant, "agent-1", "s1", $$"""{"n":{{i}}}""", 1, null, UsageLimits.Unlimited, ct)));

        var winner = Assert.Single(results, r => r.Outcome == StateUpdateOutcome.Updated);
        Assert.All(results.Where(r => r != winner), r => Assert.Equal(StateUpdateOutcome.VersionConflict, r.Outcome));
        var stored = await host.State.GetAsync(tenant, "agent-1", "s1", ct);
        Assert.Equal(2, stored!.Version);
        Assert.Equal(winner.Record!.DataJson, stored.DataJson);
    }

    [Fact]
    public async Task OverwritesRacingOnOneRecordEachGetTheirOwnVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i =>
            host.State.UpsertAsync(tenant, "agent-1", "s1", $$"""{"n":{{i}}}""", null, UsageLimits.Unlimited, ct)));

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), results.Select(r => r.Version).Order());
    }

    [Fact]
    public async Task ExpiredStateIsAbsentBeforeTheStoreRemovesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        // The store's clock, not the wall clock: a slow run cannot expire the record before the first read.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = await MemoryHost.CreateAsync(system.App, clock);
        var tenant = NewTenant();
        await host.State.UpsertAsync(tenant, "agent-1", "short", """{"v":1}""", TimeSpan.FromHours(1), UsageLimits.Unlimited, ct);
        await host.State.UpsertAsync(tenant, "agent-1", "long", """{"v":1}""", TimeSpan.FromHours(2), UsageLimits.Unlimited, ct);
        Assert.NotNull(await host.State.GetAsync(tenant, "agent-1", "short", ct));

        clock.Advance(TimeSpan.FromHours(1.5));

        Assert.Null(await host.State.GetAsync(tenant, "agent-1", "short", ct));
        Assert.Equal(["long"], await host.State.ListSessionsAsync(tenant, "agent-1", ct));
        Assert.Equal(StateUpdateOutcome.NotFound, (await host.State.UpdateAsync(tenant, "agent-1", "short", "{}", 1, null, UsageLimits.Unlimited, ct)).Outcome);
        var recreated = await host.State.UpsertAsync(tenant, "agent-1", "short", """{"v":2}""", null, UsageLimits.Unlimited, ct);
        Assert.Equal(1, recreated.Version);
        Assert.Null(recreated.ExpiresAt);
    }

    [Fact]
    public async Task SessionsAreListedPerTenantAndAgent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var (a, b) = (NewTenant(), NewTenant());
        await host.State.UpsertAsync(a, "agent-1", "s1", "{}", null, UsageLimits.Unlimited, ct);
        await host.State.UpsertAsync(a, "agent-1", "s2", "{}", null, UsageLimits.Unlimited, ct);
        await host.State.UpsertAsync(a, "agent-2", "s3", "{}", null, UsageLimits.Unlimited, ct);
        await host.State.UpsertAsync(b, "agent-1", "s9", "{}", null, UsageLimits.Unlimited, ct);

        Assert.Equal(["s1", "s2"], await host.State.ListSessionsAsync(a, "agent-1", ct));
        Assert.Equal(["s9"], await host.State.ListSessionsAsync(b, "agent-1", ct));
        Assert.Null(await host.State.GetAsync(b, "agent-1", "s1", ct));
    }
}
