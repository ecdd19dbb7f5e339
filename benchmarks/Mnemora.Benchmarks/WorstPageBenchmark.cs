using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using HdrHistogram;

namespace Mnemora.Benchmarks;

/// <summary>
/// Issue 15's attack: a scale tenant holds 100 episodes of ~399 KB and reads them in 20 parallel cursor
/// chains of <c>limit=1000</c> pages, while a quiet tenant reads its state at an agent's pace. Prints the
/// quiet tenant's state-GET latency idle and during the attack, and the API's peak resident memory
/// (pages end at ~4 MB, so the attack holds 20 pages, not 20 × 40 MB).
/// </summary>
internal sealed class WorstPageBenchmark : IBenchmark
{
    private const int Episodes = 100;
    private const int Chains = 20;
    private const int QuietReads = 500;
    private static readonly TimeSpan s_quietPause = TimeSpan.FromMilliseconds(20);

    public string Name => "worst-page";

    public string Description => "A quiet tenant's state GET p50/p95/p99 idle and during 20 parallel 1,000-episode pages of 399 KB episodes; the API's peak working set";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (_, attacker) = await context.CreateTenantAsync("scale", cancellationToken);
        var (_, quiet) = await context.CreateTenantAsync("scale", cancellationToken);
        using (attacker)
        using (quiet)
        {
            (await quiet.PostAsJsonAsync("/v1/state", new { agent_id = "agent", data = new { goal = "answer the customer" } }, cancellationToken)).EnsureSuccessStatusCode();
            await Parallel.ForEachAsync(Enumerable.Range(0, Episodes), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var content = new string((char)('a' + (i % 26)), 398_000);
                (await attacker.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "worst", session_id = "s", type = "observation", content }, ct)).EnsureSuccessStatusCode();
            });

            var pid = await ExportBenchmark.ApiProcessIdAsync(context, cancellationToken);
            await QuietReadsAsync(quiet, 100, cancellationToken);
            var idle = await QuietReadsAsync(quiet, QuietReads, cancellationToken);
            Console.WriteLine(idle with { Label = "quiet GET /v1/state, idle" });

            using var stop = new CancellationTokenSource();
            var peak = 0L;
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, pid is { } p ? ResidentBytes(p) : 0);
                    await Task.Delay(50, CancellationToken.None);
                }
            }, CancellationToken.None);
            var pages = 0L;
            var failures = 0L;
            var attack = Task.WhenAll(Enumerable.Range(0, Chains).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    string? cursor = null;
                    do
                    {
                        var url = "/v1/memory/episodic/worst?limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
                        using var response = await attacker.GetAsync(url, CancellationToken.None);
                        if (!response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref failures);
                            break;
                        }

                        var page = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(CancellationToken.None);
                        cursor = page.GetProperty("data").TryGetProperty("next_cursor", out var next) && next.ValueKind == System.Text.Json.JsonValueKind.String ? next.GetString() : null;
                        Interlocked.Increment(ref pages);
                    }
                    while (cursor is not null && !stop.IsCancellationRequested);
                }
            }, CancellationToken.None)));

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var attacked = await QuietReadsAsync(quiet, QuietReads, cancellationToken);
            await stop.CancelAsync();
            await attack;
            await sampler;
            Console.WriteLine(attacked with { Label = "quiet GET /v1/state, 20 worst pages" });
            Console.WriteLine($"{"  attacker",-40} {pages,8} pages served, {failures} failed");
            var ratio = attacked.Percentile(99) / idle.Percentile(99);
            Console.WriteLine($"{"  quiet p99 attacked / idle",-40} {ratio,8:F2}× (goal ≤ 2×: {(ratio <= 2 ? "met" : "not met")})");
            Console.WriteLine(pid is null
                ? "  (the API process was not found: no working set)"
                : string.Create(CultureInfo.InvariantCulture, $"{"  API peak working set",-40} {peak / (1024 * 1024),8} MB (goal < 1024 MB: {(peak < 1024L * 1024 * 1024 ? "met" : "not met")})"));
        }
    }

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

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
