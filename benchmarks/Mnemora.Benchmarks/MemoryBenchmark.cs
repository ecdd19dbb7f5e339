using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using HdrHistogram;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Benchmarks;

/// <summary>
/// Working memory through the API (GET and PUT /v1/state) next to the raw DynamoDB GetItem and
/// PutItem of the same item shape on the same store, interleaved so that machine load hits both
/// alike; then the time to replay a 1,000-episode session that is entirely in S3. The API is called
/// both through the AppHost's endpoint proxy (a development convenience, one more local hop per call)
/// and directly at its own port; the goals judge the direct calls, which are what a deployment runs
/// (the raw store calls go through that proxy to the emulator, and so do the API's own store calls).
/// </summary>
internal sealed class MemoryBenchmark : IBenchmark
{
    private const int Operations = 2_000;
    private const int WarmUp = 200;
    private const int ColdEpisodes = 1_000;

    public string Name => "memory";

    public string Description => "State GET/PUT through the API vs raw DynamoDB GetItem/PutItem; replay of a fully cold 1,000-episode session in one S3 object and in 20";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (tenantId, client) = await context.CreateTenantAsync("scale", cancellationToken);
        client.Dispose();
        // A plain client: the testing host's client logs every request to the console, which would be measured too.
        using var api = new HttpClient { BaseAddress = context.CreateApiClient().BaseAddress };
        api.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        using var direct = new HttpClient { BaseAddress = await context.DirectApiAddressAsync(cancellationToken) };
        direct.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>();
        var calls = host.Services.GetRequiredService<CallCounters>();
        var quotaTenant = $"bench-quota-{Guid.NewGuid():N}";
        var table = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.MemoryTable;

        var data = new { goal = "book a flight to Lisbon", step = 3, slots = new { from = "BER", to = "LIS", date = "2026-12-01" }, notes = new string('n', 120) };
        var created = await api.PostAsJsonAsync("/v1/state", new { agent_id = "bench-agent", data }, cancellationToken);
        created.EnsureSuccessStatusCode();
        var rawKey = new Dictionary<string, AttributeValue>
        {
            ["pk"] = new($"{tenantId}#bench-agent"),
            ["sk"] = new("STATE#default"),
        };
        var rawItem = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = rawKey, ConsistentRead = true }, cancellationToken)).Item;
        var rawPutKey = new Dictionary<string, AttributeValue>(rawItem) { ["pk"] = new($"{tenantId}#bench-raw") };
        // The state PUT's own kind of write on a copy: conditional on the version, returning the old item.
        var versionedKey = new Dictionary<string, AttributeValue> { ["pk"] = new($"{tenantId}#bench-raw-versioned"), ["sk"] = new("STATE#default") };
        await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = new Dictionary<string, AttributeValue>(rawItem) { ["pk"] = versionedKey["pk"], ["version"] = new() { N = "1" } } }, cancellationToken);
        var rawVersion = 1L;

        var get = await InterleaveAsync(
            [
                ("api GET /v1/state/{agent}", async ct =>
                {
                    using var response = await api.GetAsync("/v1/state/bench-agent", ct);
                    response.EnsureSuccessStatusCode();
                }),
                ("api GET, direct to the API", async ct =>
                {
                    using var response = await direct.GetAsync("/v1/state/bench-agent", ct);
                    response.EnsureSuccessStatusCode();
                }),
                ("raw DynamoDB GetItem (consistent)", ct =>
                    dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = rawKey, ConsistentRead = true }, ct)),
                ("raw quota write + GetItem (unleased quota)", async ct =>
                {
                    await calls.TryCountCallsAsync(quotaTenant, DateTimeOffset.UtcNow, long.MaxValue, 1, ct);
                    await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = rawKey, ConsistentRead = true }, ct);
                }),
            ],
            cancellationToken);
        var (apiGet, rawGet) = (get[1], get[2]);

        var version = 1L;
        var put = await InterleaveAsync(
            [
                ("api PUT /v1/state/{agent}", async ct =>
                {
                    using var response = await api.PutAsJsonAsync("/v1/state/bench-agent", new { data, version }, ct);
                    response.EnsureSuccessStatusCode();
                    version++;
                }),
                ("api PUT, direct to the API", async ct =>
                {
                    using var response = await direct.PutAsJsonAsync("/v1/state/bench-agent", new { data, version }, ct);
                    response.EnsureSuccessStatusCode();
                    version++;
                }),
                ("raw DynamoDB PutItem", ct =>
                    dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = rawPutKey }, ct)),
                ("raw UpdateItem if version, ALL_OLD", async ct =>
                {
                    await dynamo.UpdateItemAsync(new UpdateItemRequest
                    {
                        TableName = table,
                        Key = versionedKey,
                        UpdateExpression = "SET #data = :data, updated_at = :now ADD version :one",
                        ConditionExpression = "attribute_exists(pk) AND version = :expected",
                        ExpressionAttributeNames = new() { ["#data"] = "data" },
                        ExpressionAttributeValues = new()
                        {
                            [":data"] = rawItem["data"],
                            [":now"] = new(DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
                            [":one"] = new() { N = "1" },
                            [":expected"] = new() { N = rawVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                        },
                        ReturnValues = ReturnValue.ALL_OLD,
                    }, ct);
                    rawVersion++;
                }),
            ],
            cancellationToken);
        var (apiPut, rawPut) = (put[1], put[2]);

        foreach (var (apiSeries, rawSeries) in (ReadOnlySpan<(Measurement, Measurement)>)[(apiGet, rawGet), (apiPut, rawPut)])
        {
            Console.WriteLine($"{apiSeries.Label + ": p50 / raw p50",-40} {apiSeries.Percentile(50) / rawSeries.Percentile(50),10:F2} x");
        }

        Console.WriteLine($"{"api PUT, direct: p50 / raw UpdateItem p50",-40} {apiPut.Percentile(50) / put[3].Percentile(50),10:F2} x");

        BenchmarkResults.Goal(Name, "warm: state GET p50 <= 1.3x raw GetItem", apiGet.Percentile(50) <= 1.3 * rawGet.Percentile(50),
            $"{apiGet.Percentile(50):F2} vs {rawGet.Percentile(50):F2} ms; p99 {apiGet.Percentile(99):F2} vs {rawGet.Percentile(99):F2}");
        BenchmarkResults.Goal(Name, "warm: state PUT p50 <= 1.5x raw PutItem", apiPut.Percentile(50) <= 1.5 * rawPut.Percentile(50),
            $"{apiPut.Percentile(50):F2} vs {rawPut.Percentile(50):F2} ms; the same kind of write, UpdateItem if version returning the old item: {put[3].Percentile(50):F2} ms");

        await Measure.RunAsync("api GET /v1/state, 8 concurrent", async (_, ct) =>
        {
            using var response = await api.GetAsync("/v1/state/bench-agent", ct);
            response.EnsureSuccessStatusCode();
        }, operations: Operations, concurrency: 8, warmup: 50, cancellationToken: cancellationToken);

        var mover = host.Services.GetRequiredService<EpisodeMover>();
        await ColdReplayAsync(api, tenantId, mover, objects: 1, cancellationToken);
        await ColdReplayAsync(api, tenantId, mover, objects: 20, cancellationToken);
    }

    /// <summary>
    /// Writes a 1,000-episode session through the API, moving it to S3 the way the worker does in
    /// <paramref name="objects"/> runs (each run its own object), and times its replay.
    /// </summary>
    private async Task ColdReplayAsync(HttpClient api, string tenantId, EpisodeMover mover, int objects, CancellationToken cancellationToken)
    {
        var session = $"cold-session-{objects}";
        var perObject = ColdEpisodes / objects;
        var moved = 0;
        for (var run = 0; run < objects; run++)
        {
            await Parallel.ForAsync(run * perObject, (run + 1) * perObject, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                using var response = await api.PostAsJsonAsync("/v1/memory/episodic", new
                {
                    agent_id = "bench-agent",
                    session_id = session,
                    type = i % 2 == 0 ? "conversation" : "tool_call",
                    content = i % 2 == 0 ? (object)$"turn {i}: the user asks about flights to Lisbon in December" : new { tool = "search_flights", args = new { to = "LIS", day = i } },
                    metadata = new { turn = i },
                }, ct);
                response.EnsureSuccessStatusCode();
            });
            moved += await mover.MovePartitionAsync($"{tenantId}#bench-agent", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, cancellationToken);
        }

        Console.WriteLine($"{$"episodes moved to S3 ({objects} runs)",-40} {moved,10}");

        async Task ReplayAsync(CancellationToken ct)
        {
            using var response = await api.GetAsync($"/v1/memory/episodic/bench-agent/sessions/{session}", ct);
            response.EnsureSuccessStatusCode();
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
            var count = body.RootElement.GetProperty("data").GetProperty("episodes").GetArrayLength();
            if (count != ColdEpisodes)
            {
                throw new InvalidOperationException($"The cold replay returned {count} episodes, not {ColdEpisodes}.");
            }
        }

        var label = $"api replay, 1,000 cold episodes in {objects} object{(objects == 1 ? "" : "s")}";
        await Measure.OnceAsync(label + " (first)", ReplayAsync, cancellationToken);
        var replay = await Measure.RunAsync(label, (_, ct) => ReplayAsync(ct), operations: 30, warmup: 0, cancellationToken: cancellationToken);
        if (objects > 1)
        {
            BenchmarkResults.Goal(Name, $"cold replay of 1,000 episodes in {objects} objects < 200 ms (p95)", replay.Percentile(95) < 200,
                $"p50 {replay.Percentile(50):F1} ms, p95 {replay.Percentile(95):F1} ms");
        }
    }

    /// <summary>Runs the operations in turn, one call each per round, so that machine load hits them alike; prints each series.</summary>
    private static async Task<Measurement[]> InterleaveAsync(IReadOnlyList<(string Label, Func<CancellationToken, Task> Operation)> series, CancellationToken cancellationToken)
    {
        var histograms = series.Select(_ => new LongHistogram(TimeSpan.TicksPerMinute, 3)).ToArray();
        var totals = new long[series.Count];
        for (var i = -WarmUp; i < Operations; i++)
        {
            // Each round starts with the next series, so none always runs first or right after the same one.
            for (var k = 0; k < series.Count; k++)
            {
                var s = (k + i + WarmUp) % series.Count;
                var begin = Stopwatch.GetTimestamp();
                await series[s].Operation(cancellationToken);
                var ticks = Stopwatch.GetElapsedTime(begin).Ticks;
                if (i >= 0)
                {
                    histograms[s].RecordValue(ticks);
                    totals[s] += ticks;
                }
            }
        }

        var measurements = series.Select((x, s) => new Measurement(x.Label, histograms[s].TotalCount, TimeSpan.FromTicks(totals[s]), histograms[s])).ToArray();
        foreach (var measurement in measurements)
        {
            Console.WriteLine(measurement);
        }

        return measurements;
    }
}
