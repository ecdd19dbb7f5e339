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
/// Agents at their real pace: 200 tenants across the four tiers, each making one call every 2–5 s
/// (state GET, state PUT, episode append, search in turn) for a minute, so key caches and call
/// leases are as cold as a slow agent finds them. Each call is paired with the raw DynamoDB call
/// doing the same work (GetItem; PutItem of the same item), in alternating order, so machine load and
/// the emulator's caches favour neither. The API
/// is called at its own port, not through the AppHost's endpoint proxy.
/// </summary>
internal sealed class AgentPaceBenchmark : IBenchmark
{
    private const int Tenants = 200;
    private static readonly string[] s_tiers = ["free", "starter", "pro", "scale"];
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(65);
    private static readonly string[] s_routes = ["state GET", "state PUT", "episode append", "search"];

    public string Name => "agent-pace";

    public string Description => $"{Tenants} tenants (four tiers) each calling every 2–5 s for {s_duration.TotalSeconds:F0} s: p50/p95/p99 per call next to raw GetItem/PutItem";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>();
        var table = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.MemoryTable;
        // The API at its own port, as the memory benchmark's goals judge it (the AppHost's endpoint proxy is development only).
        var baseAddress = await context.DirectApiAddressAsync(cancellationToken);

        Console.WriteLine($"Creating and seeding {Tenants} tenants ...");
        var agents = new Agent[Tenants];
        await Parallel.ForAsync(0, Tenants, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var (tenantId, created) = await context.CreateTenantAsync(s_tiers[i % s_tiers.Length], ct);
            // A plain client: the testing host's client logs every request to the console, which would be measured too.
            var client = new HttpClient { BaseAddress = baseAddress };
            client.DefaultRequestHeaders.Authorization = created.DefaultRequestHeaders.Authorization;
            created.Dispose();
            await SeedAsync(() => client.PostAsJsonAsync("/v1/state", new { agent_id = "agent", data = StateData(0) }, ct), ct);
            await SeedAsync(() => client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent", content = "The customer prefers e-mail over phone calls." }, ct), ct);
            var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = StateKey(tenantId), ConsistentRead = true }, ct)).Item;
            agents[i] = new Agent(tenantId, client, item);
            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = agents[i].RawItem("STATE#versioned") }, ct);
        });

        var api = s_routes.ToDictionary(r => r, _ => new LongHistogram(TimeSpan.TicksPerMinute, 3), StringComparer.Ordinal);
        var raw = s_routes.Take(3).ToDictionary(r => r, _ => new LongHistogram(TimeSpan.TicksPerMinute, 3), StringComparer.Ordinal);
        // The state PUT's own kind of write (conditional on the version, returning the old item), for comparison only.
        var rawVersioned = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var errors = 0;
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"Running for {s_duration.TotalSeconds:F0} s ...");
        await Task.WhenAll(agents.Select((agent, index) => Task.Run(async () =>
        {
            var random = new Random(index);
            // Start spread over the first pace interval, like agents that did not all wake at once.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(0, 5_000)), cancellationToken);
            var version = 1L;
            var rawVersion = agent.StateItem["version"].N is { } n ? long.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 1L;
            for (var call = 0; clock.Elapsed < s_duration; call++)
            {
                var route = s_routes[(call + index) % s_routes.Length];
                async Task<long> CallApiAsync()
                {
                    var begin = Stopwatch.GetTimestamp();
                    using var response = route switch
                    {
                        "state GET" => await agent.Client.GetAsync("/v1/state/agent", cancellationToken),
                        "state PUT" => await agent.Client.PutAsJsonAsync("/v1/state/agent", new { data = StateData(call), version }, cancellationToken),
                        "episode append" => await agent.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "agent", session_id = "s", type = "conversation", content = $"turn {call}: the user asks about flights to Lisbon" }, cancellationToken),
                        _ => await agent.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "how does the customer want to be contacted", agent_id = "agent", top_k = 5 }, cancellationToken),
                    };
                    var ticks = Stopwatch.GetElapsedTime(begin).Ticks;
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                    else if (route == "state PUT")
                    {
                        version++;
                    }

                    return ticks;
                }

                async Task<long> CallRawAsync()
                {
                    var begin = Stopwatch.GetTimestamp();
                    switch (route)
                    {
                        case "state GET":
                            await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = StateKey(agent.TenantId), ConsistentRead = true }, cancellationToken);
                            break;
                        case "state PUT":
                            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = agent.RawItem("STATE#raw") }, cancellationToken);
                            var ticks = Stopwatch.GetElapsedTime(begin).Ticks;
                            var versionedBegin = Stopwatch.GetTimestamp();
                            await dynamo.UpdateItemAsync(new UpdateItemRequest
                            {
                                TableName = table,
                                Key = new(StringComparer.Ordinal) { ["pk"] = new($"{agent.TenantId}#bench-raw"), ["sk"] = new("STATE#versioned") },
                                UpdateExpression = "SET #data = :data ADD version :one",
                                ConditionExpression = "version = :expected",
                                ExpressionAttributeNames = new() { ["#data"] = "data" },
                                ExpressionAttributeValues = new()
                                {
                                    [":data"] = agent.StateItem["data"],
                                    [":one"] = new() { N = "1" },
                                    [":expected"] = new() { N = rawVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                                },
                                ReturnValues = ReturnValue.ALL_OLD,
                            }, cancellationToken);
                            rawVersion++;
                            lock (rawVersioned)
                            {
                                rawVersioned.RecordValue(Stopwatch.GetElapsedTime(versionedBegin).Ticks);
                            }

                            return ticks;
                        case "episode append":
                            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = agent.RawItem($"EP#raw#{call:D6}") }, cancellationToken);
                            break;
                        default:
                            return -1;
                    }

                    return Stopwatch.GetElapsedTime(begin).Ticks;
                }

                // The order alternates, so neither side always finds the item (and the emulator) just read or woken by the other.
                long apiTicks, rawTicks;
                if (call % 2 == 0)
                {
                    apiTicks = await CallApiAsync();
                    rawTicks = await CallRawAsync();
                }
                else
                {
                    rawTicks = await CallRawAsync();
                    apiTicks = await CallApiAsync();
                }

                lock (api)
                {
                    api[route].RecordValue(apiTicks);
                    if (rawTicks >= 0)
                    {
                        raw[route].RecordValue(rawTicks);
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2_000, 5_000)), cancellationToken);
            }
        }, cancellationToken)));
        var elapsed = clock.Elapsed;

        foreach (var route in s_routes)
        {
            Console.WriteLine(new Measurement($"api {route}", api[route].TotalCount, elapsed, api[route]));
            if (raw.TryGetValue(route, out var rawHistogram))
            {
                Console.WriteLine(new Measurement($"raw {(route == "state GET" ? "GetItem" : "PutItem")} ({route})", rawHistogram.TotalCount, elapsed, rawHistogram));
            }
        }

        Console.WriteLine(new Measurement("raw UpdateItem if version, ALL_OLD (state PUT's kind of write)", rawVersioned.TotalCount, elapsed, rawVersioned));
        var total = api.Values.Sum(h => h.TotalCount);
        Console.WriteLine($"calls: {total} ({total / elapsed.TotalSeconds:F0}/s over {Tenants} tenants), errors: {errors}");
        var (getApi, getRaw) = (P(api["state GET"]), P(raw["state GET"]));
        BenchmarkResults.Goal(Name, "state GET p50 <= 1.3x raw GetItem", getApi.P50 <= 1.3 * getRaw.P50, $"{getApi.P50:F2} vs {getRaw.P50:F2} ms");
        BenchmarkResults.Goal(Name, "state GET p99 <= raw p99 + 3 ms", getApi.P99 <= getRaw.P99 + 3, $"{getApi.P99:F2} vs {getRaw.P99:F2} ms");
        foreach (var route in (string[])["state PUT", "episode append"])
        {
            var (a, r) = (P(api[route]), P(raw[route]));
            var sameWrite = route == "state PUT" ? $"; UpdateItem if version, ALL_OLD p50 {Ms(rawVersioned, 50):F2} ms" : "";
            BenchmarkResults.Goal(Name, $"{route} p50 <= 1.5x raw PutItem", a.P50 <= 1.5 * r.P50, $"{a.P50:F2} vs {r.P50:F2} ms; p99 {a.P99:F2} vs {r.P99:F2}{sameWrite}");
        }

        var search = P(api["search"]);
        BenchmarkResults.Figure(Name, $"search p50/p95/p99 {search.P50:F2}/{search.P95:F2}/{search.P99:F2} ms (embedding included)");
        BenchmarkResults.Goal(Name, "no errors", errors == 0, $"{errors} of {total} calls");
        foreach (var agent in agents)
        {
            agent.Client.Dispose();
        }
    }

    /// <summary>Seeding is not measured: a write refused by a per-tenant or embedding limit waits and is sent again.</summary>
    private static async Task SeedAsync(Func<Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await send();
            if (response.StatusCode != System.Net.HttpStatusCode.TooManyRequests || attempt == 20)
            {
                response.EnsureSuccessStatusCode();
                return;
            }

            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    private static (double P50, double P95, double P99) P(LongHistogram histogram) =>
        (Ms(histogram, 50), Ms(histogram, 95), Ms(histogram, 99));

    private static double Ms(LongHistogram histogram, double percentile) =>
        histogram.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond;

    private static object StateData(int step) =>
        new { goal = "book a flight to Lisbon", step, slots = new { from = "BER", to = "LIS", date = "2026-12-01" }, notes = new string('n', 120) };

    private static Dictionary<string, AttributeValue> StateKey(string tenantId) => new(StringComparer.Ordinal)
    {
        ["pk"] = new($"{tenantId}#agent"),
        ["sk"] = new("STATE#default"),
    };

    private sealed record Agent(string TenantId, HttpClient Client, Dictionary<string, AttributeValue> StateItem)
    {
        /// <summary>The state item's attributes under a key of the raw series' own (same size, same shape).</summary>
        public Dictionary<string, AttributeValue> RawItem(string sk) =>
            new(StateItem, StringComparer.Ordinal) { ["pk"] = new($"{TenantId}#bench-raw"), ["sk"] = new(sk) };
    }
}
