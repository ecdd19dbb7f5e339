using System.Diagnostics;
using System.Globalization;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>
/// Store faults under load: with three tenants calling steadily, one store is stopped for a while
/// and started again. Calls that need it answer 503 quickly, the others keep succeeding, nothing
/// acknowledged is lost, and the API and the tiering worker recover without being restarted; the
/// worker then tiers every episode exactly once.
/// </summary>
[Collection(HardeningCollection.Name)]
public sealed class StoreFaultTests(HardeningSystem system)
{
    /// <summary>
    /// The longest a call may take while a store is down: bounded by the store clients' timeouts (PostgreSQL
    /// 3 s to connect; DynamoDB 1.5 s and S3 2 s per attempt, two attempts), not a hang. A call that makes
    /// several store calls (an episode list: DynamoDB, then S3) may meet the outage at more than one. A hang
    /// would last the HTTP client's 100 s; the bound tells the two apart on a loaded machine, it is no latency target.
    /// </summary>
    private static readonly TimeSpan s_quick = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_outage = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan s_recovery = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("postgres")]
    [InlineData("dynamodb")]
    [InlineData("s3")]
    public async Task UnderLoadAStoppedStoreRefusesOnlyWhatNeedsItQuicklyAndNothingAcknowledgedIsLost(string store)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenants = new List<TestTenant>();
        for (var i = 0; i < 3; i++)
        {
            tenants.Add(await system.CreateTenantAsync("scale", cancellationToken));
        }

        var processes = ProcessIds();
        Assert.All(processes, process => Assert.False(string.IsNullOrEmpty(process.Value), $"No process id for {process.Key}."));
        var load = new MixedLoad(tenants, pause: TimeSpan.FromMilliseconds(250));
        using (var host = await MemoryHost.CreateAsync(system.App))
        {
            await load.SeedColdEpisodesAsync((tenant, token) => host.HotCountAsync(tenant, MixedLoad.Agent, token), s_recovery, cancellationToken);
        }

        using var stopLoad = new CancellationTokenSource();
        var running = load.RunAsync(stopLoad.Token);
        var clock = Stopwatch.StartNew();
        TimeSpan recoveredAt;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(4), cancellationToken);
            load.Phase = "stopping";
            await system.StopAsync(store, cancellationToken);
            await system.WaitForStoreAsync(store, up: false, cancellationToken);
            load.Phase = "down";
            await Task.Delay(s_outage, cancellationToken);
            await HoldUntilRefusedWhileDownAsync(load, store, cancellationToken);

            load.Phase = "starting";
            await system.StartAsync(store, cancellationToken);
            await system.WaitForStoreAsync(store, up: true, cancellationToken);
            load.Phase = "recovering";
            recoveredAt = await WaitUntilEveryOperationSucceedsAsync(load, clock, cancellationToken);
            load.Phase = "after";
            await Task.Delay(TimeSpan.FromSeconds(4), cancellationToken);
        }
        finally
        {
            await stopLoad.CancelAsync();
            await running.WaitAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
        }

        var outcomes = load.Outcomes.ToList();
        var report = Report(store, outcomes, recoveredAt);
        if (outcomes.Any(o => (int)o.Status >= 500 && o.Status != HttpStatusCode.ServiceUnavailable))
        {
            // The unexpected failures first (each with the lines of its exception), then the latest lines.
            var failures = system.ApiFailures;
            var unexpected = failures.Select((line, index) => (line, index))
                .Where(entry => entry.line.Contains("Request failed with", StringComparison.Ordinal) && !entry.line.Contains("SERVICE_UNAVAILABLE", StringComparison.Ordinal))
                .Take(5)
                .SelectMany(entry => failures.Skip(entry.index).Take(16));
            // First, so that a summary that keeps only the start of a failure's message still shows the exception.
            report = "API failures (not 503):\n" + string.Join("\n", unexpected) + "\n" + report + "\nLatest API failures:\n" + string.Join("\n", failures.TakeLast(40));
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report);

        // Never a hang, never a 5xx other than 503 (a store that is down), never an unenveloped answer.
        Assert.All(outcomes, o => Assert.True(o.Elapsed < s_quick, $"{o.Op} took {o.Elapsed} in phase {o.PhaseAtStart}: {(int)o.Status}\n{report}"));
        Assert.All(outcomes, o => Assert.True(IsSuccess(o) || o.Status == HttpStatusCode.ServiceUnavailable,
            $"{o.Op} answered {(int)o.Status} in phase {o.PhaseAtStart}\n{report}\n{o.Body}"));

        // Steady phases: before and after, everything succeeds; while down, exactly what needs the store is refused.
        foreach (var o in outcomes.Where(o => o.PhaseAtStart == o.PhaseAtEnd && o.PhaseAtStart is "before" or "after"))
        {
            Assert.True(IsSuccess(o), $"{o.Op} answered {(int)o.Status} in phase {o.PhaseAtStart}: {o.Body}");
        }

        var down = outcomes.Where(o => o.PhaseAtStart == "down" && o.PhaseAtEnd == "down").ToList();
        Assert.NotEmpty(down);
        foreach (var o in down)
        {
            if (MixedLoad.Needs[o.Op].Contains(store))
            {
                Assert.True(o.Status == HttpStatusCode.ServiceUnavailable, $"{o.Op} answered {(int)o.Status} while {store} was down: {o.Body}");
                using var problem = System.Text.Json.JsonDocument.Parse(o.Body);
                Assert.Equal("SERVICE_UNAVAILABLE", problem.RootElement.GetProperty("error").GetProperty("code").GetString());
            }
            else
            {
                Assert.True(IsSuccess(o), $"{o.Op} does not need {store} but answered {(int)o.Status} while it was down: {o.Body}");
            }
        }

        Assert.Contains(down, o => MixedLoad.Needs[o.Op].Contains(store));

        // Everything acknowledged is there, once; the worker tiered every episode exactly once.
        var lost = await load.FindLostAsync(cancellationToken);
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost or wrong:\n{string.Join("\n", lost.Take(20))}");
        await AssertEveryEpisodeTieredOnceAsync(tenants, cancellationToken);
        Assert.Equal(processes, ProcessIds());

        foreach (var tenant in tenants)
        {
            tenant.Dispose();
        }
    }

    private static bool IsSuccess(LoadOutcome o) =>
        (int)o.Status is >= 200 and < 300 || (o.Op == "state.read" && o.Status == HttpStatusCode.NotFound);

    /// <summary>Waits until the last call of every operation succeeded; the time from the start of the run.</summary>
    /// <summary>
    /// Keeps the store down until a call that needs it has both started and ended while it was down: a call
    /// that waits out a store's timeout can outlast a fixed outage on a loaded machine, and the test must see one refused.
    /// </summary>
    private static async Task HoldUntilRefusedWhileDownAsync(MixedLoad load, string store, CancellationToken cancellationToken)
    {
        var held = Stopwatch.StartNew();
        while (!load.Outcomes.Any(o => o.PhaseAtStart == "down" && o.PhaseAtEnd == "down" && MixedLoad.Needs[o.Op].Contains(store)))
        {
            if (held.Elapsed > s_recovery)
            {
                Assert.Fail($"No call that needs {store} started and ended while it was down, within {s_outage + s_recovery}.");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private static async Task<TimeSpan> WaitUntilEveryOperationSucceedsAsync(MixedLoad load, Stopwatch clock, CancellationToken cancellationToken)
    {
        var started = clock.Elapsed;
        while (clock.Elapsed - started < s_recovery)
        {
            var recent = load.Outcomes.Where(o => o.PhaseAtStart == "recovering").GroupBy(o => (o.Tenant, o.Op)).Select(g => g.Last()).ToList();
            if (recent.Count == 3 * MixedLoad.Needs.Count && recent.All(IsSuccess))
            {
                return clock.Elapsed;
            }

            await Task.Delay(250, cancellationToken);
        }

        // Per failing operation, how its calls since the store came back went: slow refusals point to a starved
        // machine (each call waits out the store timeout), quick ones to something the store kept refusing.
        var failing = load.Outcomes.Where(o => o.PhaseAtStart == "recovering").GroupBy(o => (o.Tenant, o.Op)).Where(g => !IsSuccess(g.Last()));
        Assert.Fail($"The API did not recover within {s_recovery} of the store being reported up. Still failing:\n{string.Join('\n', failing.Select(g =>
            $"{g.Key.Op} (tenant {g.Key.Tenant}): {g.Count(IsSuccess)} of {g.Count()} calls succeeded since; the failed took {string.Join(", ", g.Where(o => !IsSuccess(o)).Select(o => $"{o.Elapsed.TotalSeconds:F1} s"))}; " +
            $"last {(int)g.Last().Status} {g.Last().Body[..Math.Min(300, g.Last().Body.Length)]}"))}");
        return TimeSpan.Zero;
    }

    /// <summary>After the load, the worker moves every episode older than the retention to S3: none left hot, each in exactly one cold batch.</summary>
    private async Task AssertEveryEpisodeTieredOnceAsync(IReadOnlyList<TestTenant> tenants, CancellationToken cancellationToken)
    {
        using var host = await MemoryHost.CreateAsync(system.App);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_recovery);
        foreach (var tenant in tenants)
        {
            try
            {
                while (await host.HotCountAsync(tenant.TenantId, MixedLoad.Agent, timeout.Token) > 0)
                {
                    await Task.Delay(500, timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"The worker did not tier {tenant.TenantId}'s episodes within {s_recovery} after the outage.");
            }

            var listed = await MixedLoad.ReadAllEpisodesAsync(tenant.Client, cancellationToken);
            var cold = (await host.ColdBatchesAsync(tenant.TenantId, MixedLoad.Agent, cancellationToken)).Sum(b => b.Count);
            Assert.Equal(listed.Count, listed.Select(e => e.Id).Distinct().Count());
            Assert.Equal(listed.Count, cold);
        }
    }

    /// <summary>The process ids of the API and the worker: unchanged means neither was restarted.</summary>
    private Dictionary<string, string?> ProcessIds() => ((string[])["api", "tiering"]).ToDictionary(
        name => name,
        name => system.App.ResourceNotifications.TryGetCurrentState(name, out var state)
            ? state.Snapshot.Properties.FirstOrDefault(p => p.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value?.ToString()
            : null,
        StringComparer.Ordinal);

    private static string Report(string store, IReadOnlyList<LoadOutcome> outcomes, TimeSpan recoveredAt)
    {
        var lines = new List<string> { $"{store}: {outcomes.Count} calls, recovered {recoveredAt.TotalSeconds:F1} s into the run" };
        foreach (var phase in outcomes.GroupBy(o => o.PhaseAtStart))
        {
            foreach (var op in phase.GroupBy(o => o.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var statuses = string.Join(" ", op.GroupBy(o => (int)o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
                var max = op.Max(o => o.Elapsed).TotalMilliseconds;
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"  {phase.Key,-10} {op.Key,-16} {statuses,-24} max {max,7:F0} ms"));
            }
        }

        return string.Join("\n", lines);
    }
}
