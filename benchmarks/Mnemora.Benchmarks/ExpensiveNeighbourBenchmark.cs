using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using HdrHistogram;

namespace Mnemora.Benchmarks;

/// <summary>
/// One tenant drives the costliest legal calls at its full burst rate (semantic stores of 20,000 characters, searches,
/// pages of 1,000 episodes, imports of 500 memories without vectors that all need embedding) while a quiet tenant reads
/// its state and searches at an agent's pace. The quiet tenant's p99 is printed idle and under the expensive neighbour:
/// the shared parts (the embedding model, PostgreSQL's pool, the replica's memory) are shared by turns and shares, so
/// the goal is each quiet p99 within 2× of idle.
/// </summary>
internal sealed class ExpensiveNeighbourBenchmark : IBenchmark
{
    private const int QuietRounds = 300;
    private static readonly string[] s_callKinds = ["store", "search", "page", "import"];
    private const int SeedEpisodes = 1_000;
    private const int ImportMemories = 500;
    private static readonly TimeSpan s_quietPause = TimeSpan.FromMilliseconds(25);

    public string Name => "expensive-neighbour";

    public string Description => "A quiet tenant's state GET and search p99, idle and while another tenant drives long stores, searches, 1,000-item pages and imports at its burst rate";

    public IReadOnlyList<string> SystemArguments => ["--Mnemora:BurstLimits:Enabled=true"];

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        // MNEMORA_EXPENSIVE_CALLS (some of store, search, page, import; comma-separated) and MNEMORA_EXPENSIVE_CONNECTIONS
        // narrow the neighbour to some of its calls, to see which one costs the quiet tenant what.
        var kinds = Environment.GetEnvironmentVariable("MNEMORA_EXPENSIVE_CALLS") is { Length: > 0 } chosen
            ? [.. s_callKinds.Where(k => chosen.Split(',', StringSplitOptions.TrimEntries).Contains(k, StringComparer.OrdinalIgnoreCase))]
            : s_callKinds;
        var connections = int.TryParse(Environment.GetEnvironmentVariable("MNEMORA_EXPENSIVE_CONNECTIONS"), out var n) && n > 0 ? n : 16;
        if (kinds.Length == 0)
        {
            throw new InvalidOperationException($"MNEMORA_EXPENSIVE_CALLS names none of: {string.Join(", ", s_callKinds)}.");
        }

        Console.WriteLine($"  neighbour: {connections} connections of {string.Join(", ", kinds)}");
        using var quiet = await TenantClientAsync(context, cancellationToken);
        using var heavy = await TenantClientAsync(context, cancellationToken);
        await SeedQuietAsync(quiet, cancellationToken);
        await SeedHeavyAsync(heavy, cancellationToken);

        await QuietRoundsAsync(quiet, 50, cancellationToken);
        var (idleGet, idleSearch) = await QuietRoundsAsync(quiet, QuietRounds, cancellationToken);
        Console.WriteLine(idleGet with { Label = "quiet GET /v1/state, idle" });
        Console.WriteLine(idleSearch with { Label = "quiet semantic search, idle" });

        using var stop = new CancellationTokenSource();
        var answers = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var others = new Dictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var flood = Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(() => HeavyAsync(heavy, kinds, i, answers, others, stop.Token), CancellationToken.None)));
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var (busyGet, busySearch) = await QuietRoundsAsync(quiet, QuietRounds, cancellationToken);
        await stop.CancelAsync();
        await flood;
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(busyGet with { Label = "quiet GET /v1/state, neighbour busy" });
        Console.WriteLine(busySearch with { Label = "quiet semantic search, neighbour busy" });
        lock (answers)
        {
            foreach (var (op, counts) in answers.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"{"  expensive " + op,-40} {counts[0] / seconds,8:F1} served/s, {counts[1] / seconds,6:F1} refused (429)/s, {counts[2]} other answers");
            }

            foreach (var (answer, count) in others.OrderByDescending(o => o.Value))
            {
                Console.WriteLine($"    other: {count} × {answer}");
            }
        }

        var getRatio = busyGet.Percentile(99) / idleGet.Percentile(99);
        var searchRatio = busySearch.Percentile(99) / idleSearch.Percentile(99);
        BenchmarkResults.Goal(Name, "quiet state GET p99 under an expensive neighbour <= 2x idle", getRatio <= 2,
            $"{busyGet.Percentile(99):F2} vs {idleGet.Percentile(99):F2} ms, {getRatio:F2}x");
        BenchmarkResults.Goal(Name, "quiet search p99 under an expensive neighbour <= 2x idle", searchRatio <= 2,
            $"{busySearch.Percentile(99):F2} vs {idleSearch.Percentile(99):F2} ms, {searchRatio:F2}x");
        var other = answers.Values.Sum(c => c[2]);
        BenchmarkResults.Goal(Name, "the expensive neighbour gets only 2xx and 429, never a 5xx", other == 0, $"{other} other answers");
    }

    /// <summary>One connection of the expensive tenant: the costly calls in turn, without pause.</summary>
    private static async Task HeavyAsync(HttpClient heavy, string[] kinds, int connection, Dictionary<string, int[]> answers, Dictionary<string, int> others, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var kind = kinds[(n + connection) % kinds.Length];
            using var request = Array.IndexOf(s_callKinds, kind) switch
            {
                0 => new HttpRequestMessage(HttpMethod.Post, "/v1/memory/semantic") { Content = JsonContent.Create(new { agent_id = "heavy", content = LongText(connection, n) }) },
                1 => new HttpRequestMessage(HttpMethod.Post, "/v1/memory/semantic/search") { Content = JsonContent.Create(new { query = $"which warehouse ships order {n}", agent_id = "heavy", top_k = 50 }) },
                2 => new HttpRequestMessage(HttpMethod.Get, "/v1/memory/episodic/heavy?limit=1000"),
                3 => ImportFile.Memories("imported", [.. Enumerable.Range(0, ImportMemories).Select(i => $"Imported fact {Guid.NewGuid():N}: supplier {i % 41} delivers part {i} every {i % 9 + 1} days.")]),
                _ => throw new UnreachableException(kind),
            };
            var name = kind switch { "store" => "long store", "page" => "1,000-item page", _ => kind };
            try
            {
                using var response = await heavy.SendAsync(request, HttpCompletionOption.ResponseContentRead, stop);
                var slot = response.IsSuccessStatusCode ? 0 : response.StatusCode == HttpStatusCode.TooManyRequests ? 1 : 2;
                lock (answers)
                {
                    if (!answers.TryGetValue(name, out var counts))
                    {
                        answers[name] = counts = new int[3];
                    }

                    counts[slot]++;
                }

                if (slot == 2)
                {
                    var body = await response.Content.ReadAsStringAsync(stop);
                    var answer = $"{name} {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}";
                    lock (answers)
                    {
                        others[answer] = others.GetValueOrDefault(answer) + 1;
                    }
                }

                if (slot == 1)
                {
                    // A client honours Retry-After the way the SDKs do: briefly, then tries again.
                    await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string LongText(int connection, int n)
    {
        var text = new StringBuilder(20_000);
        for (var i = 0; text.Length < 20_000; i++)
        {
            text.Append(Sentence(connection, n, i));
        }

        return text.ToString(0, 20_000);
    }

    private static string Sentence(int connection, int n, int i) =>
        $"Shipment {connection}-{n}-{i} leaves warehouse {i % 13} for customer {n % 97} with {i % 7} pallets on dock {i % 5}. ";

    private static async Task SeedQuietAsync(HttpClient quiet, CancellationToken cancellationToken)
    {
        (await quiet.PostAsJsonAsync("/v1/state", new { agent_id = "agent", data = new { goal = "answer the customer", step = 2 } }, cancellationToken)).EnsureSuccessStatusCode();
        for (var i = 0; i < 20; i++)
        {
            (await quiet.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent", content = $"Customer {i} prefers delivery on day {i % 7} and pays by invoice {1000 + i}." }, cancellationToken)).EnsureSuccessStatusCode();
        }
    }

    private static async Task SeedHeavyAsync(HttpClient heavy, CancellationToken cancellationToken)
    {
        var payload = new string('x', 2_000);
        await Parallel.ForAsync(0, SeedEpisodes, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            while (true)
            {
                using var response = await heavy.PostAsJsonAsync("/v1/memory/episodic",
                    new { agent_id = "heavy", session_id = $"s{i % 10}", type = "observation", content = $"{i} {payload}" }, ct);
                if (response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    response.EnsureSuccessStatusCode();
                    return;
                }

                await Task.Delay(200, ct);
            }
        });
    }

    /// <summary>Sequential rounds of one state read and one search, with a short pause, each call timed.</summary>
    private static async Task<(Measurement Get, Measurement Search)> QuietRoundsAsync(HttpClient quiet, int rounds, CancellationToken cancellationToken)
    {
        var get = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var search = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            using (var response = await quiet.GetAsync("/v1/state/agent", cancellationToken))
            {
                get.RecordValue(Stopwatch.GetElapsedTime(begin).Ticks);
                response.EnsureSuccessStatusCode();
            }

            await Task.Delay(s_quietPause, cancellationToken);
            begin = Stopwatch.GetTimestamp();
            using (var response = await quiet.PostAsJsonAsync("/v1/memory/semantic/search", new { query = $"how does customer {i % 20} pay", agent_id = "agent", top_k = 5 }, cancellationToken))
            {
                search.RecordValue(Stopwatch.GetElapsedTime(begin).Ticks);
                response.EnsureSuccessStatusCode();
            }

            await Task.Delay(s_quietPause, cancellationToken);
        }

        return (new Measurement("get", get.TotalCount, clock.Elapsed, get), new Measurement("search", search.TotalCount, clock.Elapsed, search));
    }

    /// <summary>A tenant's client (a plain one: the testing host's logs every request, which would be measured too).</summary>
    private static async Task<HttpClient> TenantClientAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (_, client) = await context.CreateTenantAsync("scale", cancellationToken);
        client.Timeout = TimeSpan.FromMinutes(5);
        return client;
    }
}
