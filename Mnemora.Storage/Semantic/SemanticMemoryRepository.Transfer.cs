using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Pgvector;

namespace Mnemora.Storage.Semantic;

/// <summary>A live memory as exported: the record, and its embedding when asked for.</summary>
public sealed record SemanticExportRow(SemanticMemoryRecord Memory, float[]? Embedding);

/// <summary>A memory to import: the exported id, content, metadata, times, and the embedding to store.</summary>
public sealed record SemanticImportRow(Guid ExportedId, string AgentId, string Namespace, string Content, string MetadataJson, DateTime CreatedAt, DateTime UpdatedAt, float[] Embedding);

/// <summary>What an import changed: rows written, and the live vectors and bytes they added.</summary>
public sealed record SemanticImportResult(long Rows, long VectorsAdded, long BytesAdded);

/// <summary>Export and import of semantic memory.</summary>
public sealed partial class SemanticMemoryRepository
{
    private const int ExportPageSize = 500;
    private const int ImportBatchSize = 100;

    /// <summary>
    /// The agent's live memories in id order, a page of <see cref="ExportPageSize"/> per short
    /// transaction (keyset paging), so a slow reader never holds a transaction open.
    /// </summary>
    public async IAsyncEnumerable<SemanticExportRow> ReadAllAsync(
        string tenantId, string agentId, bool embeddings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid? after = null;
        while (true)
        {
            var page = await database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
            {
                await using var select = new NpgsqlCommand(
                    $"""
                    SELECT {Columns}, {(embeddings ? "m.embedding" : "NULL::vector")} FROM semantic_memory m
                    WHERE m.tenant_id = @tenant AND m.agent_id = @agent AND {Live("m.")} {(after is null ? "" : "AND m.id > @after")}
                    ORDER BY m.id LIMIT @limit
                    """, connection, transaction);
                select.Parameters.AddWithValue("tenant", tenantId);
                select.Parameters.AddWithValue("agent", agentId);
                select.Parameters.AddWithValue("limit", ExportPageSize);
                if (after is { } start)
                {
                    select.Parameters.AddWithValue("after", start);
                }

                var rows = new List<SemanticExportRow>(ExportPageSize);
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    rows.Add(new SemanticExportRow(ReadRecord(reader), reader.IsDBNull(ColumnCount) ? null : reader.GetFieldValue<Vector>(ColumnCount).ToArray()));
                }

                return rows;
            }, cancellationToken);

            foreach (var row in page)
            {
                yield return row;
            }

            if (page.Count < ExportPageSize)
            {
                yield break;
            }

            after = page[^1].Memory.Id;
        }
    }

    /// <summary>
    /// Writes imported memories exactly (content, metadata, times, embedding; no near-duplicate merge), in
    /// one transaction: all of them or none. A memory keeps its exported id when this tenant already has a
    /// memory with that id (restoring a tenant's own export overwrites it); otherwise it gets
    /// <see cref="ImportedId"/>, the same on every import, so importing a file twice never duplicates.
    /// The vector cap is checked against the tenant's locked totals before commit. The totals are locked only then,
    /// once the rows are in: an import embeds its memories batch by batch inside the transaction, and the tenant's
    /// own stores and deletes, which lock the totals too, must not wait that long. Imports of one tenant run one at
    /// a time (a transaction-scoped advisory lock; a second is a <see cref="TenantBusyException"/> at once), and the rows an import overwrites are locked when it reads them,
    /// so its counts stay exact.
    /// </summary>
    public Task<SemanticImportResult> ImportAsync(
        string tenantId, IAsyncEnumerable<IReadOnlyList<SemanticImportRow>> batches, SemanticLimits limits, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using (var one = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(hashtextextended('mnemora-import:' || @tenant, 0))", connection, transaction))
            {
                one.Parameters.AddWithValue("tenant", tenantId);
                if (!(bool)(await one.ExecuteScalarAsync(ct))!)
                {
                    // Thrown before anything is written: the import is refused whole, to be retried.
                    throw new TenantBusyException("imports", TimeSpan.FromSeconds(5), "Another import of this tenant is running; retry when it has finished. Nothing was imported.");
                }
            }

            long rows = 0, vectorsAdded = 0, bytesAdded = 0;
            await foreach (var batch in batches.WithCancellation(ct))
            {
                foreach (var chunk in batch.Chunk(ImportBatchSize))
                {
                    var (chunkVectors, chunkBytes) = await ImportChunkAsync(connection, transaction, tenantId, chunk, ct);
                    rows += chunk.Length;
                    vectorsAdded += chunkVectors;
                    bytesAdded += chunkBytes;
                }
            }

            var (vectors, _) = await LockTotalsAsync(connection, transaction, tenantId, ct);
            if (vectors + vectorsAdded > limits.MaxVectors)
            {
                // Thrown before commit: the transaction rolls back and nothing of the import stays.
                throw new StorageLimitException(StorageLimit.Vectors,
                    $"The import would store {vectors + vectorsAdded} vectors; the tenant's plan holds at most {limits.MaxVectors}. Nothing was imported.");
            }

            await AddToTotalsAsync(connection, transaction, tenantId, vectorsAdded, bytesAdded, ct);
            return new SemanticImportResult(rows, vectorsAdded, bytesAdded);
        }, cancellationToken);

    /// <summary>
    /// The id an imported memory gets when its exported id is not one of the tenant's own: a UUID (version 8)
    /// from SHA-256 of the tenant and the exported id. Ids are unique across tenants, so another tenant's
    /// export can never collide with, overwrite or reveal a row of its source.
    /// </summary>
    public static Guid ImportedId(string tenantId, Guid exportedId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"mnemora-import-v1\n{tenantId}\n{exportedId:D}"), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    private static async Task<(long Vectors, long Bytes)> ImportChunkAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SemanticImportRow[] chunk, CancellationToken cancellationToken)
    {
        // Which exported ids (or their imported ids) this tenant has already; row-level security shows no other tenant's.
        var candidates = chunk.SelectMany(r => new[] { r.ExportedId, ImportedId(tenantId, r.ExportedId) }).ToArray();
        var existing = new Dictionary<Guid, (long Bytes, bool Live)>();
        await using (var select = new NpgsqlCommand(
            "SELECT id, stored_bytes, deleted_at IS NULL FROM semantic_memory WHERE tenant_id = @tenant AND id = ANY(@ids) FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue("tenant", tenantId);
            select.Parameters.AddWithValue("ids", candidates);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existing[reader.GetGuid(0)] = (reader.GetInt64(1), reader.GetBoolean(2));
            }
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        var targets = new Guid[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var row = chunk[i];
            targets[i] = existing.ContainsKey(row.ExportedId) ? row.ExportedId : ImportedId(tenantId, row.ExportedId);
            var upsert = new NpgsqlBatchCommand(
                $"""
                INSERT INTO semantic_memory AS m (id, tenant_id, agent_id, namespace, content, embedding, metadata, stored_bytes, created_at, updated_at, deleted_at)
                VALUES (@id, @tenant, @agent, @namespace, @content, @embedding, @metadata::jsonb, {StoredBytesSql("@content", "@metadata::jsonb")}, @created, @updated, NULL)
                ON CONFLICT (id) DO UPDATE SET
                    agent_id = excluded.agent_id, namespace = excluded.namespace, content = excluded.content, embedding = excluded.embedding,
                    metadata = excluded.metadata, stored_bytes = excluded.stored_bytes, created_at = excluded.created_at,
                    updated_at = excluded.updated_at, deleted_at = NULL
                WHERE m.tenant_id = excluded.tenant_id
                RETURNING m.stored_bytes
                """);
            upsert.Parameters.AddWithValue("id", targets[i]);
            upsert.Parameters.AddWithValue("tenant", tenantId);
            upsert.Parameters.AddWithValue("agent", row.AgentId);
            upsert.Parameters.AddWithValue("namespace", row.Namespace);
            upsert.Parameters.AddWithValue("content", row.Content);
            upsert.Parameters.AddWithValue("embedding", new Vector(row.Embedding));
            upsert.Parameters.AddWithValue("metadata", row.MetadataJson);
            upsert.Parameters.AddWithValue("created", row.CreatedAt);
            upsert.Parameters.AddWithValue("updated", row.UpdatedAt);
            batch.BatchCommands.Add(upsert);
        }

        long vectors = 0, bytes = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            var i = 0;
            do
            {
                if (!await reader.ReadAsync(cancellationToken))
                {
                    throw new InvalidOperationException("An imported memory was not written.");
                }

                var (oldBytes, live) = existing.GetValueOrDefault(targets[i]);
                vectors += live ? 0 : 1;
                bytes += reader.GetInt64(0) - (live ? oldBytes : 0);
                i++;
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        return (vectors, bytes);
    }
}
