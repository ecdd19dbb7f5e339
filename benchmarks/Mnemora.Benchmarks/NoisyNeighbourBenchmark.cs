using System.Diagnostics;
using System.Net.Http.Json;
using HdrHistogram;

namespace Mnemora.Benchmarks;

/// <summary>
/// One tenant saturates the API (many connections, no pause) while another reads its state at an
/// ordinary pace: the quiet tenant's state-read latency next to the same reads on an idle system.
/// The per-tenant burst limit refuses the flood cheaply (429 before the quota and the handler),
/// so the goal is a quiet p99 within 2× of idle.
/// </summary>
internal sealed class NoisyNeighbourBenchmark : IBenchmark
{
    private const int QuietReads = 1_000;
    // Within the tier's queue (the flood is paced), and far past it (most calls are refused at once).
    private static readonly int[] s_noisyConnections = [32, 128];
    private static readonly TimeSpan s_quietPause = TimeSpan.FromMilliseconds(20);

    public string Name => "noisy-neighbour";

    public string Description => "A quiet tenant's state-read p99, idle and while another tenant floods over 32 and 128 connections (burst limit on)";

    public IReadOnlyList<string> SystemArguments => ["--Mnemora:BurstLimits:Enabled=true"];

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        using var quiet = await TenantClientAsync(context, cancellationToken);
        using var noisy = await TenantClientAsync(context, cancellationToken);
        (await quiet.PostAsJsonAsync("/v1/state", new { agent_id = "agent", data = new { goal = "answer the customer", step = 2 } }, cancellationToken)).EnsureSuccessStatusCode();
        (await noisy.PostAsJsonAsync("/v1/state", new { agent_id = "agent", data = new { goal = "flood", step = 0 } }, cancellationToken)).EnsureSuccessStatusCode();

        await QuietReadsAsync(quiet, 200, cancellationToken);
        var idle = await QuietReadsAsync(quiet, QuietReads, cancellationToken);
        Console.WriteLine(idle with { Label = "quiet GET /v1/state, idle system" });

        foreach (var connections in s_noisyConnections)
        {
            var (flooded, accepted, refused, other, seconds) = await FloodAsync(quiet, noisy, connections, cancellationToken);
            Console.WriteLine(flooded with { Label = $"quiet GET /v1/state, {connections} flooding" });
            Console.WriteLine($"{"  noisy tenant",-40} {accepted / seconds,8:F0} served/s, {refused / seconds,6:F0} refused (429)/s, {other} other answers");
            var ratio = flooded.Percentile(99) / idle.Percentile(99);
            Console.WriteLine($"{"  quiet p99 flooded / idle",-40} {ratio,8:F2}× (goal ≤ 2×: {(ratio <= 2 ? "met" : "not met")})");
        }
    }

    /// <summary>The noisy tenant reads its state over many connections without pause while the quiet tenant's reads are timed.</summary>
    private static async Task<(Measurement Quiet, long Accepted, long Refused, long Other, double Seconds)> FloodAsync(
        HttpClient quiet, HttpClient noisy, int connections, CancellationToken cancellationToken)
    {
        using var stopFlood = new CancellationTokenSource();
        var accepted = 0L;
        var refused = 0L;
        var other = 0L;
        var floodClock = Stopwatch.StartNew();
        var flood = Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (!stopFlood.IsCancellationRequested)
            {
                try
                {
                    using var response = await noisy.GetAsync("/v1/state/agent", stopFlood.Token);
                    switch (response.StatusCode)
                    {
                        case System.Net.HttpStatusCode.OK:
                            Interlocked.Increment(ref accepted);
                            break;
                        case System.Net.HttpStatusCode.TooManyRequests:
                            Interlocked.Increment(ref refused);
                            break;
                        default:
                            Interlocked.Increment(ref other);
                            break;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None)));

        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var measured = await QuietReadsAsync(quiet, QuietReads, cancellationToken);
        await stopFlood.CancelAsync();
        await flood;
        // Let the noisy tenant's bucket refill before the next round.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        return (measured, accepted, refused, other, floodClock.Elapsed.TotalSeconds);
    }

    /// <summary>A tenant's client (a plain one: the testing host's logs every request, which would be measured too).</summary>
    private static async Task<HttpClient> TenantClientAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (_, client) = await context.CreateTenantAsync("scale", cancellationToken);
        return client;
    }

    /// <summary>Sequential reads with a short pause (an agent's pace, under its burst limit), timed one by one.</summary>
    private static async Task<Measurement> QuietReadsAsync(HttpClient quiet, int reads, CancellationToken cancellationToken)
    {
        var histogram = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < reads; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            using var response = await quiet.GetAsync("/v1/state/agent", cancellationToken);
            histogram.RecordValue(Stopwatch.GetElapsedTime(begin).Ticks);
            response.EnsureSuccessStatusCode();
            await Task.Delay(s_quietPause, cancellationToken);
        }

        return new Measurement("quiet", histogram.TotalCount, clock.Elapsed, histogram);
    }
}
