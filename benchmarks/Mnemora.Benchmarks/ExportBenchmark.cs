using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Usage;
using Npgsql;

namespace Mnemora.Benchmarks;

/// <summary>
/// Export of one agent with 10,000 episodes (5,000 of them in S3) and 5,000 semantic memories: the
/// API's NDJSON stream (time, records/s, MB/s, the API process's peak working set) next to the raw
/// store reads of the same data (DynamoDB Query pages, the cold index and S3 GETs with gunzip, one
/// SQL SELECT with the vectors), then the import of that file into a fresh tenant. Seeded by direct
/// store writes: BatchWriteItem, the tiering worker's own mover, and SQL with random unit vectors.
/// </summary>
internal sealed class ExportBenchmark : IBenchmark
{
    private const string Agent = "bench-agent";
    private const int Episodes = 10_000;
    private const int SemanticMemories = 5_000;
    private const int Rounds = 3;

    public string Name => "export";

    public string Description => "export of an agent with 10,000 episodes (half cold) and 5,000 memories: API stream vs raw store reads; import of the file";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (tenantId, client) = await context.CreateTenantAsync("scale", cancellationToken);
        client.Dispose();
        // A plain client: the testing host's client logs every request, which would be measured too.
        using var api = new HttpClient { BaseAddress = context.CreateApiClient().BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        api.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        using var host = await context.StartStoreHostAsync(cancellationToken);
        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>();
        var s3 = host.Services.GetRequiredService<IAmazonS3>();
        var storage = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        await using var owner = NpgsqlDataSource.Create(await context.ConnectionStringAsync("postgres"));
        var partition = $"{tenantId}#{Agent}";

        await Measure.OnceAsync($"seed {Episodes} episodes (BatchWriteItem)", ct => SeedEpisodesAsync(dynamo, storage.MemoryTable, partition, ct), cancellationToken);
        var moved = 0;
        await Measure.OnceAsync("move the older half to S3 (mover)", async ct => moved = await host.Services.GetRequiredService<EpisodeMover>()
            .MovePartitionAsync(partition, EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow.AddDays(-1)) + "#~", null, ct), cancellationToken);
        Console.WriteLine($"{"episodes in S3",-40} {moved,10}");
        await Measure.OnceAsync($"seed {SemanticMemories} memories (SQL)", ct => SeedSemanticAsync(owner, tenantId, ct), cancellationToken);
        await host.Services.GetRequiredService<IUsageMeter>().TrackAgentAsync(tenantId, Agent, null, cancellationToken);

        var apiPid = await ApiProcessIdAsync(context, cancellationToken);
        var apiRuns = new List<TimeSpan>();
        var rawRuns = new List<TimeSpan>();
        var size = new ExportSize(0, 0);
        for (var round = 0; round < Rounds; round++)
        {
            var baseline = ResetPeakWorkingSet(apiPid);
            apiRuns.Add(await Measure.OnceAsync($"api export (round {round + 1})", async ct => size = await ExportAsync(api, $"/v1/memory/{Agent}/export", ct), cancellationToken));
            var peak = PeakWorkingSet(apiPid);
            Console.WriteLine($"{"  api working set before / peak",-40} {Mb(baseline),10} / {Mb(peak)} (+{Mb(peak - baseline)})");
            rawRuns.Add(await Measure.OnceAsync($"raw store reads (round {round + 1})", ct => RawReadAsync(dynamo, s3, storage, owner, tenantId, partition, ct), cancellationToken));
        }

        var median = apiRuns.Order().ElementAt(Rounds / 2);
        var rawMedian = rawRuns.Order().ElementAt(Rounds / 2);
        Console.WriteLine($"{"export size",-40} {size.Lines - 2,10} records, {size.Bytes / 1e6:F1} MB");
        Console.WriteLine($"{"api export median",-40} {median.TotalMilliseconds,10:F0} ms, {(size.Lines - 2) / median.TotalSeconds:F0} records/s, {size.Bytes / 1e6 / median.TotalSeconds:F1} MB/s");
        Console.WriteLine($"{"raw store reads median",-40} {rawMedian.TotalMilliseconds,10:F0} ms");
        Console.WriteLine($"{"api export / raw reads",-40} {median / rawMedian,10:F2} x");

        var without = new ExportSize(0, 0);
        await Measure.OnceAsync("api export, embeddings=false", async ct => without = await ExportAsync(api, $"/v1/memory/{Agent}/export?embeddings=false", ct), cancellationToken);
        Console.WriteLine($"{"  size without embeddings",-40} {without.Bytes / 1e6,10:F1} MB");

        var file = Path.Combine(Path.GetTempPath(), $"mnemora-bench-export-{Guid.NewGuid():N}.ndjson");
        try
        {
            await ExportToFileAsync(api, $"/v1/memory/{Agent}/export", file, cancellationToken);
            var (_, target) = await context.CreateTenantAsync("scale", cancellationToken);
            using var importer = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            importer.DefaultRequestHeaders.Authorization = target.DefaultRequestHeaders.Authorization;
            target.Dispose();
            var imported = await Measure.OnceAsync("api import of the file (fresh tenant)", ct => ImportAsync(importer, file, ct), cancellationToken);
            Console.WriteLine($"{"  import throughput",-40} {(size.Lines - 2) / imported.TotalSeconds,10:F0} records/s");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>5,000 episodes three days ago (one UTC day, 10 sessions) and 5,000 in the last hour, 25 per BatchWriteItem, 8 at a time.</summary>
    private static async Task SeedEpisodesAsync(IAmazonDynamoDB dynamo, string table, string partition, CancellationToken cancellationToken)
    {
        var oldStart = DateTimeOffset.UtcNow.UtcDateTime.Date.AddDays(-3).AddHours(1);
        var recentStart = DateTimeOffset.UtcNow.AddMinutes(-40);
        var items = Enumerable.Range(0, Episodes).Select(i =>
        {
            var at = i < Episodes / 2 ? new DateTimeOffset(oldStart).AddSeconds(i * 8) : recentStart.AddMilliseconds((i - (Episodes / 2)) * 400);
            var position = EpisodePosition.New(at);
            var episode = new EpisodeRecord(position.Id, $"session-{i % 10}", EpisodeTypes.All[i % 4],
                $"\"turn {i}: the customer asked about order {1000 + (i % 97)} and the agent checked its shipping status in the warehouse system.\"",
                $$"""{"turn":{{i}},"channel":"chat"}""", position.Timestamp);
            return EpisodeItems.ToItem(partition, episode);
        }).ToList();

        await Parallel.ForEachAsync(items.Chunk(25), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            var pending = new Dictionary<string, List<WriteRequest>> { [table] = [.. chunk.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } })] };
            while (pending is { Count: > 0 })
            {
                pending = (await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, ct)).UnprocessedItems;
            }
        });
    }

    /// <summary>5,000 live memories of the agent, each with its own random unit vector, in one INSERT … SELECT.</summary>
    private static async Task SeedSemanticAsync(NpgsqlDataSource owner, string tenantId, CancellationToken cancellationToken)
    {
        await using var insert = owner.CreateCommand(
            """
            INSERT INTO semantic_memory (id, tenant_id, agent_id, namespace, content, embedding, metadata, stored_bytes, created_at, updated_at)
            SELECT gen_random_uuid(), @tenant, @agent, 'default', c.content, l2_normalize(v.e), c.metadata,
                   octet_length(c.content) + octet_length(c.metadata::text) + 1536, now() - make_interval(secs => i), now() - make_interval(secs => i)
            FROM generate_series(1, @count) AS i
            CROSS JOIN LATERAL (SELECT 'Fact ' || i || ': the customer mentioned ' || md5(i::text) || ' while talking about their order history.' AS content,
                                       jsonb_build_object('i', i, 'source', 'bench') AS metadata) c
            CROSS JOIN LATERAL (SELECT array_agg((random() - 0.5)::real)::vector(384) AS e FROM generate_series(1, 384) WHERE i > 0) v
            """);
        insert.Parameters.AddWithValue("tenant", tenantId);
        insert.Parameters.AddWithValue("agent", Agent);
        insert.Parameters.AddWithValue("count", SemanticMemories);
        insert.CommandTimeout = 600;
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The same data straight from the stores: every hot item, every cold object (gunzipped, split in lines), every live row with its vector.</summary>
    private static async Task RawReadAsync(IAmazonDynamoDB dynamo, IAmazonS3 s3, StorageOptions storage, NpgsqlDataSource owner, string tenantId, string partition, CancellationToken cancellationToken)
    {
        long records = 0;
        foreach (var prefix in (string[])[MemoryKeys.StatePrefix, MemoryKeys.EpisodePrefix])
        {
            var request = new QueryRequest
            {
                TableName = storage.MemoryTable,
                KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues = new() { [":pk"] = new(partition), [":prefix"] = new(prefix) },
                ConsistentRead = true,
                Limit = 1000,
            };
            do
            {
                var response = await dynamo.QueryAsync(request, cancellationToken);
                records += response.Items?.Count ?? 0;
                request.ExclusiveStartKey = response.LastEvaluatedKey;
            }
            while (request.ExclusiveStartKey is { Count: > 0 });
        }

        var cold = new QueryRequest
        {
            TableName = storage.MemoryTable,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new() { [":pk"] = new(partition), [":prefix"] = new(MemoryKeys.ColdPrefix) },
            ConsistentRead = true,
        };
        var batches = (await dynamo.QueryAsync(cold, cancellationToken)).Items.Select(ColdBatch.FromItem).ToList();
        var agentId = Agent;
        foreach (var batch in batches)
        {
            using var response = await s3.GetObjectAsync(storage.EpisodesBucket, MemoryKeys.ColdObject(tenantId, agentId, batch.SessionId, batch.First), cancellationToken);
            await using var gzip = new GZipStream(response.ResponseStream, CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            while (await reader.ReadLineAsync(cancellationToken) is { Length: > 0 })
            {
                records++;
            }
        }

        await using var select = owner.CreateCommand(
            """
            SELECT id, agent_id, namespace, content, metadata::text, created_at, updated_at, embedding::real[]
            FROM semantic_memory WHERE tenant_id = @tenant AND agent_id = @agent AND deleted_at IS NULL ORDER BY id
            """);
        select.Parameters.AddWithValue("tenant", tenantId);
        select.Parameters.AddWithValue("agent", Agent);
        await using (var rows = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await rows.ReadAsync(cancellationToken))
            {
                _ = rows.GetFieldValue<float[]>(7);
                records++;
            }
        }

        if (records != Episodes + SemanticMemories)
        {
            throw new InvalidOperationException($"The raw reads found {records} records, not {Episodes + SemanticMemories}.");
        }
    }

    /// <summary>Reads the export as a client would, without keeping it: its lines and bytes.</summary>
    private static async Task<ExportSize> ExportAsync(HttpClient api, string path, CancellationToken cancellationToken)
    {
        using var response = await api.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[81920];
        long bytes = 0, lines = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            bytes += read;
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        }

        if (lines != Episodes + SemanticMemories + 2)
        {
            throw new InvalidOperationException($"The export held {lines} lines, not {Episodes + SemanticMemories + 2}.");
        }

        return new ExportSize(lines, bytes);
    }

    private static async Task ExportToFileAsync(HttpClient api, string path, string file, CancellationToken cancellationToken)
    {
        using var response = await api.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var output = File.Create(file);
        await response.Content.CopyToAsync(output, cancellationToken);
    }

    private static async Task ImportAsync(HttpClient api, string file, CancellationToken cancellationToken)
    {
        await using var input = File.OpenRead(file);
        using var content = new StreamContent(input);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await api.PostAsync("/v1/memory/import", content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The import failed: {(int)response.StatusCode} {body}");
        }

        Console.WriteLine($"{"  import response",-40} {body[..Math.Min(body.Length, 160)]}");
    }

    /// <summary>The API's own process (DCP may start it through <c>dotnet run</c>: then the child that runs Mnemora.Api), or null off Linux.</summary>
    internal static async Task<int?> ApiProcessIdAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var resource = await context.App.ResourceNotifications.WaitForResourceAsync("api",
            e => e.Snapshot.Properties.Any(p => p.Name == "executable.pid" && p.Value is not null), cancellationToken);
        var pid = Convert.ToInt32(resource.Snapshot.Properties.First(p => p.Name == "executable.pid").Value, CultureInfo.InvariantCulture);
        var candidates = new Queue<int>([pid]);
        while (candidates.TryDequeue(out var candidate))
        {
            if (File.Exists($"/proc/{candidate}/exe") && new FileInfo($"/proc/{candidate}/exe").LinkTarget?.EndsWith("/Mnemora.Api", StringComparison.Ordinal) == true)
            {
                return candidate;
            }

            foreach (var child in Children(candidate))
            {
                candidates.Enqueue(child);
            }
        }

        Console.WriteLine("(the API process was not found: no working-set figures)");
        return null;
    }

    private static IEnumerable<int> Children(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var children = $"{task}/children";
            if (File.Exists(children))
            {
                foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    yield return int.Parse(child, CultureInfo.InvariantCulture);
                }
            }
        }
    }

    /// <summary>Resets the kernel's peak resident set (VmHWM) of the process and returns its current one (VmRSS), in bytes.</summary>
    private static long ResetPeakWorkingSet(int? pid)
    {
        if (pid is not { } id)
        {
            return 0;
        }

        File.WriteAllText($"/proc/{id}/clear_refs", "5");
        return Status(id, "VmRSS:");
    }

    private static long PeakWorkingSet(int? pid) => pid is { } id ? Status(id, "VmHWM:") : 0;

    private static long Status(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static string Mb(long bytes) => $"{bytes / 1e6:F0} MB";

    private readonly record struct ExportSize(long Lines, long Bytes);
}
