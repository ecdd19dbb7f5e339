using Mnemora.Storage.Memory;
using Mnemora.Storage.Tests.Infrastructure;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage.Tests.Memory;

/// <summary>Episodic memory at the store: order, filters and cursors, and reads that do not change when episodes move to S3.</summary>
public sealed class EpisodeStoreTests(StoreSystem system)
{
    private static string NewTenant() => $"t-{Guid.NewGuid():N}";

    private static string Now() => EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~";

    private static async Task<List<EpisodeRecord>> AppendAsync(MemoryHost host, string tenant, string agent, int count, Func<int, string> session, CancellationToken ct)
    {
        var written = new List<EpisodeRecord>();
        for (var i = 0; i < count; i++)
        {
            var type = EpisodeTypes.All[i % EpisodeTypes.All.Count];
            written.Add(await host.Episodes.AppendAsync(tenant, agent, session(i), type, $$"""{"n":{{i}},"text":"épisode {{i}}"}""", $$"""{"i":{{i}}}""", UsageLimits.Unlimited, ct));
        }

        return written;
    }

    [Fact]
    public async Task EpisodesListOldestFirstWithFiltersAndCursors()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();
        var written = await AppendAsync(host, tenant, "agent-1", 12, i => i % 3 == 0 ? "s1" : "s2", ct);

        var all = await host.Episodes.ListAsync(tenant, "agent-1", new EpisodeQuery(), ct);
        Assert.Equal(written, all.Episodes);
        Assert.Null(all.Next);

        Assert.Equal(written.Where(e => e.SessionId == "s1"), (await host.Episodes.ListAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1"), ct)).Episodes);
        Assert.Equal(written.Where(e => e.Type == "action"), (await host.Episodes.ListAsync(tenant, "agent-1", new EpisodeQuery(Type: "action"), ct)).Episodes);
        Assert.Equal(
            written.Where(e => e.SessionId == "s2" && e.Type == "observation"),
            (await host.Episodes.ListAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s2", Type: "observation"), ct)).Episodes);

        var from = EpisodePosition.ParseTimestamp(written[3].Timestamp);
        var to = EpisodePosition.ParseTimestamp(written[8].Timestamp);
        Assert.Equal(written[3..9], (await host.Episodes.ListAsync(tenant, "agent-1", new EpisodeQuery(From: from, To: to), ct)).Episodes);

        var firstPage = await host.Episodes.ListAsync(tenant, "agent-1", new EpisodeQuery(Limit: 5), ct);
        Assert.Equal(written[..5], firstPage.Episodes);
        Assert.NotNull(firstPage.Next);
        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 5), ct));
        Assert.Equal(written.Where(e => e.SessionId == "s2"), await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s2", Limit: 3), ct));
    }

    [Fact]
    public async Task MovedEpisodesReadBackIdenticallyAndASessionReplaysAcrossHotAndCold()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();
        var cold = await AppendAsync(host, tenant, "agent-1", 20, i => i % 2 == 0 ? "s1" : "s2", ct);
        var before = await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct);

        var moved = await host.Mover.MovePartitionAsync($"{tenant}#agent-1", Now(), null, ct);

        Assert.Equal(20, moved);
        Assert.Equal(0, await host.HotCountAsync(tenant, "agent-1", ct));
        Assert.Equal(2, (await host.ColdObjectKeysAsync(tenant, "agent-1", ct)).Count);
        Assert.All(await host.ColdObjectKeysAsync(tenant, "agent-1", ct), key => Assert.StartsWith($"{tenant}/agent-1/{cold[0].Timestamp[..10]}/s", key, StringComparison.Ordinal));
        Assert.Equal(before, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct));
        Assert.Equal(before, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 3), ct));
        Assert.Equal(before.Where(e => e.Type == "tool_call"), await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Type: "tool_call", Limit: 2), ct));

        var hot = await AppendAsync(host, tenant, "agent-1", 5, _ => "s1", ct);
        var replay = await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 1000), ct);
        Assert.Equal([.. cold.Where(e => e.SessionId == "s1"), .. hot], replay);
        Assert.Equal([.. cold.Where(e => e.SessionId == "s1"), .. hot], await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 4), ct));
        Assert.Equal(5, await host.HotCountAsync(tenant, "agent-1", ct));
    }

    [Theory]
    [InlineData(TieringStep.ObjectWritten)]
    [InlineData(TieringStep.ObjectVerified)]
    [InlineData(TieringStep.IndexWritten)]
    [InlineData(TieringStep.HotPartlyDeleted)]
    public async Task AMoveInterruptedAtAnyStepLosesAndDuplicatesNothing(TieringStep crashAfter)
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();
        var written = await AppendAsync(host, tenant, "agent-1", 30, _ => "s1", ct);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => host.Mover.MovePartitionAsync($"{tenant}#agent-1", Now(),
            (step, _) => step == crashAfter ? throw new SimulatedCrashException() : ValueTask.CompletedTask, ct));

        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct));
        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 7), ct));

        await host.Mover.MovePartitionAsync($"{tenant}#agent-1", Now(), null, ct);

        Assert.Equal(0, await host.HotCountAsync(tenant, "agent-1", ct));
        Assert.Equal(30, (await host.ColdBatchesAsync(tenant, "agent-1", ct)).Sum(b => b.Count));
        Assert.Single(await host.ColdObjectKeysAsync(tenant, "agent-1", ct));
        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct));
    }

    [Fact]
    public async Task AnotherTenantSeesNoneOfAnAgentsEpisodesHotOrCold()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var (a, b) = (NewTenant(), NewTenant());
        await AppendAsync(host, a, "agent-1", 4, _ => "s1", ct);
        await host.Mover.MovePartitionAsync($"{a}#agent-1", Now(), null, ct);
        await AppendAsync(host, a, "agent-1", 4, _ => "s1", ct);

        Assert.Equal(8, (await host.ReadAllAsync(a, "agent-1", new EpisodeQuery(), ct)).Count);
        Assert.Empty(await host.ReadAllAsync(b, "agent-1", new EpisodeQuery(), ct));
        Assert.Empty(await host.ReadAllAsync(b, "agent-1", new EpisodeQuery(SessionId: "s1"), ct));
    }

    private sealed class SimulatedCrashException : Exception;
}
