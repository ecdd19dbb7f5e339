using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage;

namespace Mnemora.Benchmarks;

/// <summary>
/// Mixed traffic from many tenants at once, with the per-tenant burst limit on as in production:
/// reads and writes of state, episodes appended and listed, semantic stores and searches, usage.
/// Bounded in calls and time; reports throughput and latency per route, and the errors (any
/// answer that is not the route's success), which must be zero.
/// </summary>
internal sealed class LoadBenchmark : IBenchmark
{
    private const int Tenants = 24;
    private const int Workers = 32;
    private const int Calls = 30_000;
    private static readonly TimeSpan s_maxDuration = TimeSpan.FromSeconds(90);

    // Route and weight: a read-heavy agent workload.
    private static readonly (string Route, int Weight)[] s_mix =
    [
        ("GET /v1/state/{agent}", 30),
        ("POST /v1/state", 15),
        ("PUT /v1/state/{agent}", 5),
        ("POST /v1/memory/episodic", 15),
        ("GET /v1/memory/episodic/{agent}", 10),
        ("POST /v1/memory/semantic/search", 10),
        ("POST /v1/memory/semantic", 5),
        ("GET /v1/usage", 10),
    ];

    public string Name => "load";

    public string Description => $"Mixed traffic of {Tenants} tenants over {Workers} connections (burst limit on): throughput, p50/p95/p99 per route, errors";

    public IReadOnlyList<string> SystemArguments => ["--Mnemora:BurstLimits:Enabled=true"];

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var baseAddress = context.CreateApiClient().BaseAddress;
        var tenants = new List<HttpClient>();
        for (var i = 0; i < Tenants; i++)
        {
            var (_, created) = await context.CreateTenantAsync("scale", cancellationToken);
            var client = new HttpClient { BaseAddress = baseAddress };
            client.DefaultRequestHeaders.Authorization = created.DefaultRequestHeaders.Authorization;
            created.Dispose();
            tenants.Add(client);
            await SeedAsync(client, cancellationToken);
        }

        var routes = s_mix.SelectMany(m => Enumerable.Repeat(m.Route, m.Weight)).ToArray();
        var histograms = s_mix.ToDictionary(m => m.Route, _ => new LongHistogram(TimeSpan.TicksPerMinute, 3), StringComparer.Ordinal);
        var errors = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var local = s_mix.ToDictionary(m => m.Route, _ => new LongHistogram(TimeSpan.TicksPerMinute, 3), StringComparer.Ordinal);
            var versions = new Dictionary<int, long>();
            int call;
            while ((call = Interlocked.Increment(ref next)) < Calls && clock.Elapsed < s_maxDuration)
            {
                var route = routes[(int)((uint)(call * 2654435761u) % (uint)routes.Length)];
                var client = tenants[call % Tenants];
                if (route.StartsWith("PUT", StringComparison.Ordinal) && !versions.ContainsKey(call % Tenants))
                {
                    // Each worker overwrites a session of its own per tenant, carrying the version it last wrote.
                    using var created = await client.PostAsJsonAsync("/v1/state", new { agent_id = "agent", session_id = $"w{worker}", data = new { v = 0 } }, cancellationToken);
                    versions[call % Tenants] = created.IsSuccessStatusCode ? 1 : 0;
                }

                var begin = Stopwatch.GetTimestamp();
                using var response = route.StartsWith("PUT", StringComparison.Ordinal)
                    ? await client.PutAsJsonAsync("/v1/state/agent", new { session_id = $"w{worker}", version = versions[call % Tenants], data = new { v = call } }, cancellationToken)
                    : await SendAsync(client, route, call, cancellationToken);
                local[route].RecordValue(Stopwatch.GetElapsedTime(begin).Ticks);
                if (!response.IsSuccessStatusCode)
                {
                    errors.AddOrUpdate($"{route} → {(int)response.StatusCode}", 1, (_, n) => n + 1);
                }
                else if (route.StartsWith("PUT", StringComparison.Ordinal))
                {
                    versions[call % Tenants]++;
                }
            }

            lock (histograms)
            {
                foreach (var (route, histogram) in local)
                {
                    histograms[route].Add(histogram);
                }
            }
        }, cancellationToken)));
        var elapsed = clock.Elapsed;

        var total = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        foreach (var (route, histogram) in histograms)
        {
            Console.WriteLine(new Measurement(route, histogram.TotalCount, elapsed, histogram));
            total.Add(histogram);
        }

        Console.WriteLine(new Measurement($"all routes ({Tenants} tenants, {Workers} connections)", total.TotalCount, elapsed, total));
        var errorCount = errors.Values.Sum();
        Console.WriteLine($"errors: {errorCount}{(errorCount == 0 ? "" : " — " + string.Join(", ", errors.Select(e => $"{e.Key} ×{e.Value}")))}");
        foreach (var client in tenants)
        {
            client.Dispose();
        }

        var throughput = total.TotalCount / elapsed.TotalSeconds;
        var p99 = total.GetValueAtPercentile(99) / (double)TimeSpan.TicksPerMillisecond;
        var rawMix = await RawMixAsync(context, total.TotalCount, cancellationToken);
        BenchmarkResults.Goal(Name, ">= 600 calls/s", throughput >= 600, $"{throughput:F0} calls/s over {Workers} connections");
        BenchmarkResults.Goal(Name, "p99 <= 150 ms", p99 <= 150, $"{p99:F1} ms; raw-store mix p99 {rawMix.Percentile(99):F1} ms at {rawMix.Throughput:F0} ops/s");
        BenchmarkResults.Goal(Name, "no errors", errorCount == 0, $"{errorCount} of {total.TotalCount}");

        if (errorCount > 0)
        {
            throw new InvalidOperationException($"The load run had {errorCount} errors.");
        }
    }

    /// <summary>
    /// The same mix against DynamoDB directly, over as many connections: GetItem for state reads and
    /// usage, PutItem for writes, Query for an episode page (searches and semantic stores, PostgreSQL
    /// plus the embedding, have no one-call equivalent and are left out).
    /// </summary>
    private static async Task<Measurement> RawMixAsync(BenchmarkContext context, long calls, CancellationToken cancellationToken)
    {
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>();
        var table = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.MemoryTable;
        var pk = $"bench-raw-{Guid.NewGuid():N}#agent";
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            ["pk"] = new(pk),
            ["sk"] = new("STATE#default"),
            ["data"] = new("""{"call":1,"note":"working memory of a support agent"}"""),
            ["version"] = new() { N = "1" },
        };
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = item }, cancellationToken);
        var routes = s_mix.Where(m => !m.Route.Contains("semantic", StringComparison.Ordinal)).SelectMany(m => Enumerable.Repeat(m.Route, m.Weight)).ToArray();
        return await Measure.RunAsync($"raw-store mix (DynamoDB, {Workers} connections)", (call, ct) =>
        {
            var route = routes[(int)((uint)Math.Abs(call * 2654435761L) % (uint)routes.Length)];
            return route switch
            {
                _ when route.StartsWith("GET /v1/memory", StringComparison.Ordinal) => dynamo.QueryAsync(new QueryRequest
                {
                    TableName = table,
                    KeyConditionExpression = "pk = :pk",
                    ExpressionAttributeValues = new(StringComparer.Ordinal) { [":pk"] = new(pk) },
                    Limit = 20,
                }, ct),
                _ when route.StartsWith("GET", StringComparison.Ordinal) => dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = new(StringComparer.Ordinal) { ["pk"] = new(pk), ["sk"] = new("STATE#default") }, ConsistentRead = true }, ct),
                _ => dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = new(item, StringComparer.Ordinal) { ["sk"] = new($"RAW#{call % 1000}") } }, ct),
            };
        }, operations: (int)Math.Min(calls, Calls), concurrency: Workers, warmup: 50, maxDuration: s_maxDuration, cancellationToken: cancellationToken);
    }

    private static async Task SeedAsync(HttpClient client, CancellationToken cancellationToken)
    {
        (await client.PostAsJsonAsync("/v1/state", new { agent_id = "agent", data = new { step = 0 } }, cancellationToken)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "agent", session_id = "s", type = "observation", content = "seed" }, cancellationToken)).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent", content = "The customer prefers e-mail over phone calls." }, cancellationToken)).EnsureSuccessStatusCode();
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string route, int call, CancellationToken cancellationToken) => route switch
    {
        "GET /v1/state/{agent}" => client.GetAsync("/v1/state/agent", cancellationToken),
        "POST /v1/state" => client.PostAsJsonAsync("/v1/state", new { agent_id = $"agent-{call % 50}", session_id = $"s{call % 7}", data = new { call, note = "working memory of a support agent" } }, cancellationToken),
        "POST /v1/memory/episodic" => client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "agent", session_id = $"s{call % 5}", type = "conversation", content = $"message {call}" }, cancellationToken),
        "GET /v1/memory/episodic/{agent}" => client.GetAsync("/v1/memory/episodic/agent?limit=20", cancellationToken),
        "POST /v1/memory/semantic/search" => client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "how does the customer want to be contacted", agent_id = "agent", top_k = 5 }, cancellationToken),
        "POST /v1/memory/semantic" => client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent", content = $"Ticket {call}: the order {call * 7919 % 100000} was delayed by {call % 9} days." }, cancellationToken),
        _ => client.GetAsync("/v1/usage", cancellationToken),
    };
}
