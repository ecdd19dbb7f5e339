using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// Semantic memory in PostgreSQL + pgvector. Every statement names the tenant as a parameter, and
/// runs through <see cref="TenantDatabase"/>, whose transaction-local tenant setting row-level
/// security checks underneath. Embeddings travel in pgvector's binary form (<see cref="Vector"/>).
/// </summary>
public sealed partial class SemanticMemoryRepository(TenantDatabase database, IOptions<SemanticSearchOptions> options, IDuplicateJudge judge)
{
    /// <summary>Cosine similarity at or above which a live memory is a near-duplicate candidate for the judge.</summary>
    public const double DuplicateSimilarity = Deduplication.CandidateSimilarity;

    private const string Columns = "m.id, m.agent_id, m.namespace, m.content, m.metadata::text, m.created_at, m.updated_at, m.version, m.expires_at";

    /// <summary>How many columns <see cref="Columns"/> reads: the ordinal of whatever a statement returns after them.</summary>
    private const int ColumnCount = 9;

    /// <summary>A row any read may return: not deleted, not expired (the database's clock, as the sweep uses).</summary>
    private static string Live(string alias) => $"{alias}deleted_at IS NULL AND ({alias}expires_at IS NULL OR {alias}expires_at > now())";

    /// <summary>
    /// Stores a memory, unless the judge finds a live near-duplicate of the same agent and namespace to be the
    /// same fact (metadata merged, newer keys winning) or an older statement of it (content replaced, the old
    /// version kept in history). The tenant's totals row is locked first: the vector cap is exact and
    /// concurrent stores of the same text cannot both insert.
    /// </summary>
    public Task<SemanticStoreResult> StoreAsync(string tenantId, NewSemanticMemory memory, SemanticLimits limits, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            var (vectors, _) = await LockTotalsAsync(connection, transaction, tenantId, ct);

            var candidates = await SearchInTransactionAsync(
                connection, transaction, tenantId,
                new SemanticQuery(memory.Embedding, memory.AgentId, memory.Namespace, null, TopK: Deduplication.MaxCandidates, Threshold: DuplicateSimilarity), ct);
            switch (await JudgeAsync(memory.Content, candidates, ct))
            {
                case (DuplicateVerdict.Same, { } same):
                    return await MergeAsync(connection, transaction, tenantId, same.Memory.Id, memory.MetadataJson, memory.Ttl, ct);
                case (DuplicateVerdict.Update, { } older):
                    return await ReplaceAsync(connection, transaction, tenantId, older.Memory.Id, memory, ct);
            }

            if (vectors + 1 > limits.MaxVectors)
            {
                throw new StorageLimitException(StorageLimit.Vectors,
                    $"The tenant's plan holds at most {limits.MaxVectors} vectors. Delete memories or upgrade the plan.");
            }

            await using var insert = new NpgsqlCommand(
                $"""
                INSERT INTO semantic_memory AS m (id, tenant_id, agent_id, namespace, content, embedding, metadata, stored_bytes, expires_at)
                VALUES (@id, @tenant, @agent, @namespace, @content, @embedding, @metadata::jsonb, {StoredBytesSql("@content", "@metadata::jsonb")}, now() + @ttl)
                RETURNING {Columns}, m.stored_bytes
                """, connection, transaction);
            insert.Parameters.AddWithValue("id", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("tenant", tenantId);
            insert.Parameters.AddWithValue("agent", memory.AgentId);
            insert.Parameters.AddWithValue("namespace", memory.Namespace);
            insert.Parameters.AddWithValue("content", memory.Content);
            insert.Parameters.AddWithValue("embedding", new Vector(memory.Embedding));
            insert.Parameters.AddWithValue("metadata", memory.MetadataJson);
            AddTtl(insert.Parameters, memory.Ttl);
            var (record, bytes) = await WriteRowAsync(insert, connection, transaction, tenantId, vectorsAdded: 1, "The memory just inserted is gone.", ct);
            return new SemanticStoreResult(record, SemanticDedup.None, VectorsAdded: 1, BytesAdded: bytes);
        }, cancellationToken);

    /// <summary>The <c>top_k</c> best live memories for the query's mode (see <see cref="SearchMode"/>), best first.</summary>
    public Task<IReadOnlyList<SemanticMatch>> SearchAsync(string tenantId, SemanticQuery query, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, (connection, transaction, ct) => SearchByModeAsync(connection, transaction, tenantId, query, ct), cancellationToken);

    public Task<SemanticMemoryRecord?> GetAsync(string tenantId, Guid id, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                $"SELECT {Columns} FROM semantic_memory m WHERE m.tenant_id = @tenant AND m.id = @id AND {Live("m.")}",
                connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            select.Parameters.AddWithValue("id", id);
            return await ReadSingleAsync(select, ct);
        }, cancellationToken);

    /// <summary>An agent's newest live memories (for the whole-agent view).</summary>
    public Task<IReadOnlyList<SemanticMemoryRecord>> ListNewestAsync(string tenantId, string agentId, int limit, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                $"""
                SELECT {Columns} FROM semantic_memory m
                WHERE m.tenant_id = @tenant AND m.agent_id = @agent AND {Live("m.")}
                ORDER BY m.created_at DESC, m.id DESC LIMIT @limit
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
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SemanticQuery query, CancellationToken cancellationToken) =>
        (await SearchInTransactionAsync(connection, transaction, tenantId, query, keywordLimit: 0, cancellationToken)).Vector;

    /// <summary>
    /// The vector ranking of <paramref name="query"/> and, when <paramref name="keywordLimit"/> is positive, its keyword
    /// ranking: the keyword statement rides in the same round trip as the row count, so hybrid costs no extra trip.
    /// </summary>
    private async Task<(IReadOnlyList<SemanticMatch> Vector, IReadOnlyList<SemanticMatch> Keyword)> SearchInTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SemanticQuery query, int keywordLimit, CancellationToken cancellationToken)
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
        if (keywordLimit > 0)
        {
            batch.BatchCommands.Add(KeywordCommand(tenantId, query, keywordLimit));
        }

        long selected;
        long tableRows;
        IReadOnlyList<SemanticMatch> keyword = [];
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            selected = reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
            tableRows = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
            if (keywordLimit > 0)
            {
                await reader.NextResultAsync(cancellationToken);
                keyword = await ReadKeywordMatchesAsync(reader, cancellationToken);
            }
        }

        if (selected == 0 || query.Mode == SearchMode.Keyword)
        {
            return ([], keyword);
        }

        string sql;
        if (selected <= settings.ExactSearchMaxRows)
        {
            // Exact: the materialised CTE keeps the planner from ordering through the HNSW index.
            sql = $"""
                WITH candidates AS MATERIALIZED (
                    SELECT id, embedding <=> @embedding AS distance FROM semantic_memory WHERE {filters}),
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
                SELECT {Columns}, m.embedding <=> @embedding AS distance FROM semantic_memory m
                WHERE {Filters("m.", query)}
                ORDER BY m.embedding <=> @embedding
                LIMIT @top_k
                """;
        }

        await using var search = new NpgsqlCommand(sql, connection, transaction);
        AddFilterParameters(search.Parameters, tenantId, query);
        search.Parameters.AddWithValue("embedding", new Vector(query.Embedding));
        search.Parameters.AddWithValue("top_k", query.TopK);

        var matches = new List<SemanticMatch>(query.TopK);
        await using (var reader = await search.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var similarity = Math.Clamp(1 - reader.GetDouble(ColumnCount), 0, 1);
                if (similarity >= query.Threshold)
                {
                    matches.Add(new SemanticMatch(ReadRecord(reader), similarity, similarity));
                }
            }
        }

        return (matches, keyword);
    }

    /// <summary>The WHERE clause of a search: fixed fragments only, every value a parameter.</summary>
    private static string Filters(string alias, SemanticQuery query)
    {
        var filters = new StringBuilder($"{alias}tenant_id = @tenant AND {Live(alias)}");
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

        if (query.Filter is not null)
        {
            // The compiled filter names the columns unqualified: every search reads one table.
            filters.Append($" AND {query.Filter.Sql}");
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

        query.Filter?.AddTo(parameters);
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

    /// <summary>
    /// Runs a row write that returns the record and its change of stored bytes (the column after the record's),
    /// then adds that change and <paramref name="vectorsAdded"/> to the tenant's totals in the same transaction.
    /// </summary>
    private static async Task<(SemanticMemoryRecord Record, long Bytes)> WriteRowAsync(
        NpgsqlCommand write, NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, long vectorsAdded, string goneMessage, CancellationToken cancellationToken)
    {
        SemanticMemoryRecord record;
        long bytes;
        await using (var reader = await write.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException(goneMessage);
            }

            record = ReadRecord(reader);
            bytes = reader.GetInt64(ColumnCount);
        }

        await AddToTotalsAsync(connection, transaction, tenantId, vectorsAdded, bytes, cancellationToken);
        return (record, bytes);
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
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid id, string metadataJson, TimeSpan? ttl, CancellationToken cancellationToken)
    {
        await using var merge = new NpgsqlCommand(
            $"""
            WITH previous AS (
                SELECT id, tenant_id, agent_id, namespace, content, metadata, version, change, updated_at, stored_bytes
                FROM semantic_memory WHERE tenant_id = @tenant AND id = @id AND deleted_at IS NULL FOR UPDATE),
            kept AS (
                INSERT INTO semantic_memory_history (id, tenant_id, memory_id, agent_id, version, change, content, metadata, namespace, changed_at)
                SELECT @history_id, tenant_id, id, agent_id, version, change, content, metadata, namespace, updated_at FROM previous)
            UPDATE semantic_memory AS m
            SET metadata = m.metadata || @metadata::jsonb,
                change = 'merged',
                expires_at = coalesce(now() + @ttl, m.expires_at),
                updated_at = now(),
                stored_bytes = {StoredBytesSql("m.content", "m.metadata || @metadata::jsonb")}
            FROM previous
            WHERE m.tenant_id = @tenant AND m.id = @id AND m.deleted_at IS NULL
            RETURNING {Columns}, m.stored_bytes - previous.stored_bytes
            """, connection, transaction);
        merge.Parameters.AddWithValue("tenant", tenantId);
        merge.Parameters.AddWithValue("id", id);
        merge.Parameters.AddWithValue("metadata", metadataJson);
        merge.Parameters.AddWithValue("history_id", Guid.CreateVersion7());
        AddTtl(merge.Parameters, ttl);
        var (record, delta) = await WriteRowAsync(merge, connection, transaction, tenantId, vectorsAdded: 0, "The duplicate to merge into is gone.", cancellationToken);
        return new SemanticStoreResult(record, SemanticDedup.Same, VectorsAdded: 0, BytesAdded: delta);
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
        reader.GetDateTime(6),
        reader.GetInt64(7),
        reader.IsDBNull(8) ? null : reader.GetDateTime(8));

    /// <summary><c>@ttl</c>: an interval, or null for no expiry (<c>now() + null</c> is null).</summary>
    private static void AddTtl(NpgsqlParameterCollection parameters, TimeSpan? ttl) =>
        parameters.Add(new NpgsqlParameter("ttl", NpgsqlDbType.Interval) { Value = ttl is { } value ? value : DBNull.Value });
}
