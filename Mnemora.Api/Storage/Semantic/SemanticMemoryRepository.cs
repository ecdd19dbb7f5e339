using System.Text;
using Microsoft.Extensions.Options;
using Mnemora.Api.Http;
using Npgsql;
using NpgsqlTypes;

namespace Mnemora.Api.Storage.Semantic;

/// <summary>
/// Semantic memory in PostgreSQL + pgvector. Every statement names the tenant as a parameter, and
/// runs through <see cref="TenantDatabase"/>, whose transaction-local tenant setting row-level
/// security checks underneath. Embeddings travel as <c>real[]</c> and are cast to <c>vector</c>.
/// </summary>
public sealed partial class SemanticMemoryRepository(TenantDatabase database, IOptions<SemanticSearchOptions> options)
{
    /// <summary>Cosine similarity at or above which a new memory merges into the existing one.</summary>
    public const double DuplicateSimilarity = 0.95;

    private const string Columns = "m.id, m.agent_id, m.namespace, m.content, m.metadata::text, m.created_at, m.updated_at";

    /// <summary>
    /// Stores a memory, or merges it into a live near-duplicate of the same agent and namespace (metadata
    /// merged, newer keys winning). The tenant's totals row is locked first: the vector cap is exact and
    /// concurrent stores of the same text cannot both insert.
    /// </summary>
    public Task<SemanticStoreResult> StoreAsync(string tenantId, NewSemanticMemory memory, SemanticLimits limits, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            var (vectors, _) = await LockTotalsAsync(connection, transaction, tenantId, ct);

            var nearest = await SearchInTransactionAsync(
                connection, transaction, tenantId,
                new SemanticQuery(memory.Embedding, memory.AgentId, memory.Namespace, null, TopK: 1, Threshold: DuplicateSimilarity), ct);
            if (nearest.Count == 1)
            {
                var merged = await MergeAsync(connection, transaction, tenantId, nearest[0].Memory.Id, memory.MetadataJson, ct);
                return merged;
            }

            if (vectors + 1 > limits.MaxVectors)
            {
                throw new ApiException(StatusCodes.Status429TooManyRequests, ErrorCodes.VectorLimitExceeded,
                    $"The tenant's plan holds at most {limits.MaxVectors} vectors. Delete memories or upgrade the plan.");
            }

            await using var insert = new NpgsqlCommand(
                $"""
                INSERT INTO semantic_memory AS m (id, tenant_id, agent_id, namespace, content, embedding, metadata, stored_bytes)
                VALUES (@id, @tenant, @agent, @namespace, @content, @embedding::vector, @metadata::jsonb, {StoredBytesSql("@content", "@metadata::jsonb")})
                RETURNING {Columns}, m.stored_bytes
                """, connection, transaction);
            insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("tenant", tenantId);
            insert.Parameters.AddWithValue("agent", memory.AgentId);
            insert.Parameters.AddWithValue("namespace", memory.Namespace);
            insert.Parameters.AddWithValue("content", memory.Content);
            insert.Parameters.AddWithValue("embedding", memory.Embedding);
            insert.Parameters.AddWithValue("metadata", memory.MetadataJson);
            SemanticMemoryRecord record;
            long bytes;
            await using (var reader = await insert.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                record = ReadRecord(reader);
                bytes = reader.GetInt64(7);
            }

            await AddToTotalsAsync(connection, transaction, tenantId, 1, bytes, ct);
            return new SemanticStoreResult(record, Deduplicated: false, VectorsAdded: 1, BytesAdded: bytes);
        }, cancellationToken);

    /// <summary>The <c>top_k</c> nearest live memories at or above the threshold, best first.</summary>
    public Task<IReadOnlyList<SemanticMatch>> SearchAsync(string tenantId, SemanticQuery query, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, (connection, transaction, ct) => SearchInTransactionAsync(connection, transaction, tenantId, query, ct), cancellationToken);

    public Task<SemanticMemoryRecord?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                $"SELECT {Columns} FROM semantic_memory m WHERE m.tenant_id = @tenant AND m.id = @id AND m.deleted_at IS NULL",
                connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            select.Parameters.AddWithValue("id", id);
            return await ReadSingleAsync(select, ct);
        }, cancellationToken);

    /// <summary>Soft-deletes a live memory: it leaves search and reads at once. Returns its bytes, or null when there was none.</summary>
    public Task<long?> DeleteAsync(string tenantId, Guid id, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await LockTotalsAsync(connection, transaction, tenantId, ct);
            await using var delete = new NpgsqlCommand(
                """
                UPDATE semantic_memory SET deleted_at = now(), updated_at = now()
                WHERE tenant_id = @tenant AND id = @id AND deleted_at IS NULL
                RETURNING stored_bytes
                """, connection, transaction);
            delete.Parameters.AddWithValue("tenant", tenantId);
            delete.Parameters.AddWithValue("id", id);
            if (await delete.ExecuteScalarAsync(ct) is not long bytes)
            {
                return (long?)null;
            }

            await AddToTotalsAsync(connection, transaction, tenantId, -1, -bytes, ct);
            return bytes;
        }, cancellationToken);

    /// <summary>An agent's newest live memories (for the whole-agent view).</summary>
    public Task<IReadOnlyList<SemanticMemoryRecord>> ListNewestAsync(string tenantId, string agentId, int limit, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                $"""
                SELECT {Columns} FROM semantic_memory m
                WHERE m.tenant_id = @tenant AND m.agent_id = @agent AND m.deleted_at IS NULL
                ORDER BY m.created_at DESC LIMIT @limit
                """, connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            select.Parameters.AddWithValue("agent", agentId);
            select.Parameters.AddWithValue("limit", limit);
            var records = new List<SemanticMemoryRecord>();
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                records.Add(ReadRecord(reader));
            }

            return (IReadOnlyList<SemanticMemoryRecord>)records;
        }, cancellationToken);

    /// <summary>The tenant's live vectors and their bytes.</summary>
    public Task<(long Vectors, long Bytes)> GetTotalsAsync(string tenantId, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                "SELECT vectors, bytes FROM semantic_tenant_totals WHERE tenant_id = @tenant", connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            await using var reader = await select.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0L, 0L);
        }, cancellationToken);

    /// <summary>
    /// Hard-deletes every memory of an agent, deleted ones included (GDPR purge). Returns how many live
    /// memories went and their bytes, for the usage counters.
    /// </summary>
    public Task<(long Vectors, long Bytes)> PurgeAgentAsync(string tenantId, string agentId, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await LockTotalsAsync(connection, transaction, tenantId, ct);
            await using var delete = new NpgsqlCommand(
                """
                WITH gone AS (
                    DELETE FROM semantic_memory WHERE tenant_id = @tenant AND agent_id = @agent
                    RETURNING stored_bytes, deleted_at)
                SELECT count(*) FILTER (WHERE deleted_at IS NULL), coalesce(sum(stored_bytes) FILTER (WHERE deleted_at IS NULL), 0)::bigint FROM gone
                """, connection, transaction);
            delete.Parameters.AddWithValue("tenant", tenantId);
            delete.Parameters.AddWithValue("agent", agentId);
            await using (var reader = await delete.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                var purged = (reader.GetInt64(0), reader.GetInt64(1));
                await reader.CloseAsync();
                await AddToTotalsAsync(connection, transaction, tenantId, -purged.Item1, -purged.Item2, ct);
                return purged;
            }
        }, cancellationToken);

    /// <summary>What a memory counts for in postgres_bytes: its content, metadata and vector (close to <see cref="StoredBytesSql"/>, for checks before a write).</summary>
    public static long StoredBytes(string content, string metadataJson) =>
        Encoding.UTF8.GetByteCount(content) + Encoding.UTF8.GetByteCount(metadataJson) + (SemanticSchema.Dimensions * sizeof(float));

    /// <summary>The stored_bytes of a row, computed by the server from what it keeps.</summary>
    private static string StoredBytesSql(string content, string metadata) =>
        $"octet_length({content}) + octet_length(({metadata})::text) + {SemanticSchema.Dimensions * sizeof(float)}";

    private async Task<IReadOnlyList<SemanticMatch>> SearchInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SemanticQuery query, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var filters = Filters(string.Empty, query);

        // How many rows do the filters select? Counting stops at the exact-search limit, so it costs little.
        await using var batch = new NpgsqlBatch(connection, transaction);
        var count = new NpgsqlBatchCommand(
            $"SELECT count(*) FROM (SELECT 1 FROM semantic_memory WHERE {filters} LIMIT @cap) selected");
        AddFilterParameters(count.Parameters, tenantId, query);
        count.Parameters.AddWithValue("cap", settings.ExactSearchMaxRows + 1);
        batch.BatchCommands.Add(count);
        var total = new NpgsqlBatchCommand("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'semantic_memory'::regclass");
        batch.BatchCommands.Add(total);

        long selected;
        long tableRows;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            selected = reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
            tableRows = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
        }

        if (selected == 0)
        {
            return [];
        }

        string sql;
        if (selected <= settings.ExactSearchMaxRows)
        {
            // Exact: the materialised CTE keeps the planner from ordering through the HNSW index.
            sql = $"""
                WITH candidates AS MATERIALIZED (
                    SELECT id, embedding <=> @embedding::vector AS distance FROM semantic_memory WHERE {filters}),
                best AS (SELECT id, distance FROM candidates ORDER BY distance, id LIMIT @top_k)
                SELECT {Columns}, best.distance FROM best JOIN semantic_memory m ON m.id = best.id
                WHERE m.tenant_id = @tenant
                ORDER BY best.distance, m.id
                """;
        }
        else
        {
            // Approximate: an iterative scan goes on until top_k rows pass the filters, or the tuple budget
            // is spent. The budget covers the filters' share of the table (at least ExactSearchMaxRows of tableRows).
            var share = Math.Max(settings.ExactSearchMaxRows + 1, 1) / (double)Math.Max(tableRows, settings.ExactSearchMaxRows + 1);
            var budget = (long)Math.Min(int.MaxValue, Math.Max(settings.MinScanTuples, 4 * query.TopK / share));
            var efSearch = Math.Min(1000, Math.Max(settings.EfSearch, 2 * query.TopK));
            await using (var tune = new NpgsqlCommand(
                """
                SELECT set_config('hnsw.iterative_scan', 'strict_order', true),
                       set_config('hnsw.ef_search', @ef, true),
                       set_config('hnsw.max_scan_tuples', @budget, true)
                """, connection, transaction))
            {
                tune.Parameters.AddWithValue("ef", efSearch.ToString(System.Globalization.CultureInfo.InvariantCulture));
                tune.Parameters.AddWithValue("budget", budget.ToString(System.Globalization.CultureInfo.InvariantCulture));
                await tune.ExecuteNonQueryAsync(cancellationToken);
            }

            sql = $"""
                SELECT {Columns}, m.embedding <=> @embedding::vector AS distance FROM semantic_memory m
                WHERE {Filters("m.", query)}
                ORDER BY m.embedding <=> @embedding::vector
                LIMIT @top_k
                """;
        }

        await using var search = new NpgsqlCommand(sql, connection, transaction);
        AddFilterParameters(search.Parameters, tenantId, query);
        search.Parameters.AddWithValue("embedding", query.Embedding);
        search.Parameters.AddWithValue("top_k", query.TopK);

        var matches = new List<SemanticMatch>(query.TopK);
        await using (var reader = await search.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var similarity = Math.Clamp(1 - reader.GetDouble(7), 0, 1);
                if (similarity >= query.Threshold)
                {
                    matches.Add(new SemanticMatch(ReadRecord(reader), similarity));
                }
            }
        }

        return matches;
    }

    /// <summary>The WHERE clause of a search: fixed fragments only, every value a parameter.</summary>
    private static string Filters(string alias, SemanticQuery query)
    {
        var filters = new StringBuilder($"{alias}tenant_id = @tenant AND {alias}deleted_at IS NULL");
        if (query.AgentId is not null)
        {
            filters.Append($" AND {alias}agent_id = @agent");
        }

        if (query.Namespace is not null)
        {
            filters.Append($" AND {alias}namespace = @namespace");
        }

        if (query.MetadataFilterJson is not null)
        {
            filters.Append($" AND {alias}metadata @> @filter::jsonb");
        }

        return filters.ToString();
    }

    private static void AddFilterParameters(NpgsqlParameterCollection parameters, string tenantId, SemanticQuery query)
    {
        parameters.AddWithValue("tenant", tenantId);
        if (query.AgentId is not null)
        {
            parameters.AddWithValue("agent", query.AgentId);
        }

        if (query.Namespace is not null)
        {
            parameters.AddWithValue("namespace", query.Namespace);
        }

        if (query.MetadataFilterJson is not null)
        {
            parameters.AddWithValue("filter", NpgsqlDbType.Text, query.MetadataFilterJson);
        }
    }

    private static async Task<(long Vectors, long Bytes)> LockTotalsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var ensure = new NpgsqlBatchCommand("INSERT INTO semantic_tenant_totals (tenant_id) VALUES (@tenant) ON CONFLICT (tenant_id) DO NOTHING");
        ensure.Parameters.AddWithValue("tenant", tenantId);
        var select = new NpgsqlBatchCommand("SELECT vectors, bytes FROM semantic_tenant_totals WHERE tenant_id = @tenant FOR UPDATE");
        select.Parameters.AddWithValue("tenant", tenantId);
        batch.BatchCommands.Add(ensure);
        batch.BatchCommands.Add(select);
        // The reader starts at the first statement that returns rows: the SELECT.
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The tenant's totals row is not visible: is the tenant setting missing?");
        }

        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private static async Task AddToTotalsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, long vectors, long bytes, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE semantic_tenant_totals SET vectors = greatest(vectors + @vectors, 0), bytes = greatest(bytes + @bytes, 0) WHERE tenant_id = @tenant",
            connection, transaction);
        update.Parameters.AddWithValue("tenant", tenantId);
        update.Parameters.AddWithValue("vectors", vectors);
        update.Parameters.AddWithValue("bytes", bytes);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<SemanticStoreResult> MergeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid id, string metadataJson, CancellationToken cancellationToken)
    {
        await using var merge = new NpgsqlCommand(
            $"""
            WITH previous AS (SELECT stored_bytes FROM semantic_memory WHERE tenant_id = @tenant AND id = @id AND deleted_at IS NULL FOR UPDATE)
            UPDATE semantic_memory AS m
            SET metadata = m.metadata || @metadata::jsonb,
                updated_at = now(),
                stored_bytes = {StoredBytesSql("m.content", "m.metadata || @metadata::jsonb")}
            FROM previous
            WHERE m.tenant_id = @tenant AND m.id = @id AND m.deleted_at IS NULL
            RETURNING {Columns}, m.stored_bytes - previous.stored_bytes
            """, connection, transaction);
        merge.Parameters.AddWithValue("tenant", tenantId);
        merge.Parameters.AddWithValue("id", id);
        merge.Parameters.AddWithValue("metadata", metadataJson);
        await using var reader = await merge.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The duplicate to merge into is gone.");
        }

        var record = ReadRecord(reader);
        var delta = reader.GetInt64(7);
        await reader.CloseAsync();
        await AddToTotalsAsync(connection, transaction, tenantId, 0, delta, cancellationToken);
        return new SemanticStoreResult(record, Deduplicated: true, VectorsAdded: 0, BytesAdded: delta);
    }

    private static async Task<SemanticMemoryRecord?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRecord(reader) : null;
    }

    private static SemanticMemoryRecord ReadRecord(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetDateTime(5),
        reader.GetDateTime(6));
}
