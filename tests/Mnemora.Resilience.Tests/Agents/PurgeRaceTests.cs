using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Tiering;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Tests.Agents;

/// <summary>
/// A purge that runs while the tiering worker moves the same agent's episodes leaves nothing behind.
/// The move is the worker's own code (<see cref="EpisodeMover"/>) held at a step while the purge runs,
/// then let go; and once the real worker process, left to race.
/// </summary>
[Collection(nameof(Workers))]
public sealed class PurgeRaceTests(MnemoraApp system)
{
    private const string Agent = "racing-agent";
    private const int PerSession = 30;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_workerStart = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData(TieringStep.ObjectWritten)]
    [InlineData(TieringStep.ObjectVerified)]
    [InlineData(TieringStep.IndexWritten)]
    [InlineData(TieringStep.HotPartlyDeleted)]
    public async Task APurgeWhileAMoveIsHeldAfterAnyStepLeavesNothingAndCountsEveryEpisodeOnce(TieringStep heldAfter)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        var usageBefore = await UsageAsync(tenant.Client, ct);
        // Two sessions: two batches, so the move still has a batch to write after the purge.
        await EpisodicAgentAsync(tenant.Client, 2 * PerSession, ct);

        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var steps = 0;
        var move = Task.Run(() => stores.Memory.Mover.MovePartitionAsync($"{tenant.TenantId}#{Agent}", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", async (step, stepCt) =>
        {
            if (step == heldAfter && Interlocked.Increment(ref steps) == 1)
            {
                held.SetResult();
                await release.Task.WaitAsync(s_wait, stepCt);
            }
        }, ct), ct);
        await held.Task.WaitAsync(s_wait, ct);

        var purged = AgentSeed.Counts(await AgentSeed.PurgeAsync(tenant.Client, Agent, ct));
        release.SetResult();
        var moved = await move.WaitAsync(s_wait, ct);

        await stores.AssertPurgedAsync(tenant.TenantId, Agent, ct);
        Assert.Equal(2 * PerSession, purged.Episodic);
        Assert.Equal(0, moved);
        Assert.Empty((await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/episodic/{Agent}?limit=1000", ct), HttpStatusCode.OK)).GetProperty("episodes").EnumerateArray());

        // Whoever deleted each item uncounted it, once: the counters are back where they started.
        var usageAfter = await UsageAsync(tenant.Client, ct);
        Assert.Equal(usageBefore.GetProperty("storage").GetRawText(), usageAfter.GetProperty("storage").GetRawText());
    }

    [Fact]
    public async Task AMoveThatStartsWhileThePurgeMarkerIsLiveMovesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        await AgentSeed.PurgeAsync(tenant.Client, Agent, ct);
        // Written after the purge: real data, but inside the marker's hold the worker leaves it hot.
        await EpisodicAgentAsync(tenant.Client, 3, ct);

        var moved = await stores.Memory.Mover.MovePartitionAsync($"{tenant.TenantId}#{Agent}", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);

        Assert.Equal(0, moved);
        Assert.Equal(3, await stores.Memory.HotCountAsync(tenant.TenantId, Agent, ct));
        Assert.Empty(await stores.Memory.ColdObjectKeysAsync(tenant.TenantId, Agent, ct));
    }

    [Fact]
    public async Task APurgeRacingTheWorkerProcessLeavesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        // A race with a real process is a matter of timing: repeat it, count the rounds in which the purge
        // provably landed mid-move (the agent had episodes in S3 and still in DynamoDB), and require one.
        const int Rounds = 3;
        var raced = 0;
        for (var round = 0; round < Rounds; round++)
        {
            raced += await PurgeRacingTheWorkerAsync(ct) ? 1 : 0;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"The purge landed mid-move in {raced} of {Rounds} rounds.");
        Assert.True(raced > 0, $"In none of {Rounds} rounds did the purge land while the worker was moving the agent: no race was tested.");
    }

    /// <summary>One round; true when the purge began while the worker had moved part of the agent and not all of it.</summary>
    private async Task<bool> PurgeRacingTheWorkerAsync(CancellationToken ct)
    {
        using var tenant = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        for (var i = 0; i < 200; i++)
        {
            await stores.Memory.Episodes.AppendAsync(tenant.TenantId, Agent, $"s{i % 8}", EpisodeTypes.All[i % 4], $$"""{"n":{{i}}}""", "{}", UsageLimits.Unlimited, ct);
        }

        bool midMove;
        await using (var worker = await WorkerProcess.StartAsync(system.App, TimeSpan.FromSeconds(1), faultFile: null))
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                // A worker process starting on a loaded two-core machine can take a minute before its first cycle.
                timeout.CancelAfter(s_workerStart);
                try
                {
                    // Purge as soon as the worker has started on this agent: mid-move, most likely.
                    while ((await stores.Memory.ColdObjectKeysAsync(tenant.TenantId, Agent, timeout.Token)).Count == 0)
                    {
                        await Task.Delay(20, timeout.Token);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    Assert.Fail($"The worker wrote no cold object of the agent within {s_workerStart.TotalMinutes} minutes. Its output:\n{worker.Output}");
                }
            }

            // Eight sessions are eight batches: with one in S3 and episodes still hot, the move is in flight.
            midMove = await stores.Memory.HotCountAsync(tenant.TenantId, Agent, ct) > 0;
            var purged = AgentSeed.Counts(await AgentSeed.PurgeAsync(tenant.Client, Agent, ct));
            Assert.Equal(200, purged.Episodic);

            // The purge may return while the worker is between a write and its check (docs/memory-storage.md,
            // "Purge"): that move removes its own write. So the agent is empty once the move has undone
            // itself, and stays empty while the worker keeps cycling: nothing comes back.
            await EmptyOnceTheMoveUndoesItselfAsync(stores, tenant.TenantId, ct);
            for (var check = 0; check < 10; check++)
            {
                await Task.Delay(500, ct);
                await stores.AssertPurgedAsync(tenant.TenantId, Agent, ct);
            }
        }

        return midMove;
    }

    private static async Task EmptyOnceTheMoveUndoesItselfAsync(AgentStores stores, string tenantId, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_wait);
        AgentContents contents;
        while (!(contents = await stores.ReadAsync(tenantId, Agent, ct)).IsEmpty)
        {
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"{s_wait.TotalSeconds} s after the purge, {tenantId}#{Agent} still holds: {contents}");
            }
        }
    }

    private static async Task<System.Text.Json.JsonElement> UsageAsync(HttpClient api, CancellationToken ct) =>
        await Envelope.ReadDataAsync(await api.GetAsync("/v1/usage", ct), HttpStatusCode.OK);

    private static async Task EpisodicAgentAsync(HttpClient api, int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            var response = await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = $"s{i / PerSession}", type = "conversation", content = $"turn {i}" }, ct);
            await Envelope.ReadDataAsync(response, HttpStatusCode.Created);
        }
    }
}
