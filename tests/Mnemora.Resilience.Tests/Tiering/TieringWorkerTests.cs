using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Tests.Tiering;

/// <summary>The real worker process moves old episodes to S3; reads do not change, and killing it after any step loses nothing.</summary>
[Collection(nameof(Workers))]
public sealed class TieringWorkerTests(MnemoraApp system)
{
    private static readonly TimeSpan s_retention = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(180);

    private static string NewTenant() => $"t-{Guid.NewGuid():N}";

    [Fact]
    public async Task TheWorkerMovesOldEpisodesToS3AndReadsReturnTheSameEpisodesInTheSameOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();
        var written = await AppendAsync(host, tenant, 40, i => $"s{i % 2}", ct);
        var before = await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct);
        var beforeReplay = await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 1000), ct);
        Assert.Equal(written, before);
        Assert.Equal(40, await host.HotCountAsync(tenant, "agent-1", ct));
        // Every episode is past the retention before the worker starts, so one cycle moves them all
        // (two objects, one per session); on a slow machine the writes alone can outlast it.
        await Task.Delay(s_retention, ct);

        await using (var worker = await WorkerProcess.StartAsync(system.App, s_retention, faultFile: null))
        {
            await WaitUntilAllColdAsync(host, tenant, worker, ct);
        }

        Assert.Equal(before, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct));
        Assert.Equal(before, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 9), ct));
        Assert.Equal(beforeReplay, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 1000), ct));
        var keys = await host.ColdObjectKeysAsync(tenant, "agent-1", ct);
        Assert.Equal(2, keys.Count);
        Assert.All(keys, key => Assert.StartsWith($"{tenant}/agent-1/{written[0].Timestamp[..10]}/s", key, StringComparison.Ordinal));

        // Newer episodes of the same session stay hot, and a replay spans both stores in order.
        var hot = await AppendAsync(host, tenant, 3, _ => "s1", ct);
        Assert.Equal([.. beforeReplay, .. hot], await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 1000), ct));
        Assert.Equal(3, await host.HotCountAsync(tenant, "agent-1", ct));
    }

    [Theory]
    [InlineData(TieringStep.ObjectWritten)]
    [InlineData(TieringStep.ObjectVerified)]
    [InlineData(TieringStep.IndexWritten)]
    [InlineData(TieringStep.HotPartlyDeleted)]
    public async Task KillingTheWorkerAfterAnyStepLosesAndDuplicatesNoEpisode(TieringStep killAfter)
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        var tenant = NewTenant();
        var written = await AppendAsync(host, tenant, 30, _ => "s1", ct);
        var faultFile = Path.Combine(Path.GetTempPath(), $"mnemora-fault-{Guid.NewGuid():N}");
        // The fault names this test's partition: the worker moves every old partition of the shared stores,
        // and a kill on another test's partition would leave this one untouched and the test proving nothing.
        var partition = $"{tenant}#agent-1";
        await File.WriteAllTextAsync(faultFile, $"{killAfter} {partition}", ct);
        await Task.Delay(s_retention, ct);

        await using (var worker = await WorkerProcess.StartAsync(system.App, s_retention, faultFile))
        {
            var exitCode = await worker.WaitForExitAsync(s_settle, ct);
            Assert.True(exitCode == 137, $"Expected death by SIGKILL (137), got {exitCode}:\n{worker.Output}");
            Assert.Contains($"killing the worker after {killAfter} of {partition}", worker.Output, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(faultFile), "The worker consumes the fault before it dies.");
        // The stores show the kill landed mid-move on this partition: its batch's object is in S3, and
        // after the partial delete some (not all) of its episodes have left DynamoDB.
        Assert.NotEmpty(await host.ColdObjectKeysAsync(tenant, "agent-1", ct));
        var hotAfterKill = await host.HotCountAsync(tenant, "agent-1", ct);
        if (killAfter == TieringStep.HotPartlyDeleted)
        {
            Assert.InRange(hotAfterKill, 1, 29);
        }
        else
        {
            Assert.Equal(30, hotAfterKill);
        }

        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct));
        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 7), ct));

        await using (var restarted = await WorkerProcess.StartAsync(system.App, s_retention, faultFile: null))
        {
            await WaitUntilAllColdAsync(host, tenant, restarted, ct);
        }

        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(Limit: 1000), ct));
        Assert.Equal(written, await host.ReadAllAsync(tenant, "agent-1", new EpisodeQuery(SessionId: "s1", Limit: 7), ct));
        Assert.Equal(30, (await host.ColdBatchesAsync(tenant, "agent-1", ct)).Sum(b => b.Count));
        Assert.Single(await host.ColdObjectKeysAsync(tenant, "agent-1", ct));
    }

    private static async Task<List<EpisodeRecord>> AppendAsync(MemoryHost host, string tenant, int count, Func<int, string> session, CancellationToken ct)
    {
        var written = new List<EpisodeRecord>();
        for (var i = 0; i < count; i++)
        {
            written.Add(await host.Episodes.AppendAsync(tenant, "agent-1", session(i), EpisodeTypes.All[i % 4], $$"""{"n":{{i}},"text":"ünïcode ✓"}""", $$"""{"i":{{i}}}""", UsageLimits.Unlimited, ct));
        }

        return written;
    }

    private static async Task WaitUntilAllColdAsync(MemoryHost host, string tenant, WorkerProcess worker, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_settle);
        try
        {
            while (await host.HotCountAsync(tenant, "agent-1", timeout.Token) > 0)
            {
                await Task.Delay(250, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"The worker did not move every episode within {s_settle}. Its output:\n{worker.Output}");
        }
    }
}
