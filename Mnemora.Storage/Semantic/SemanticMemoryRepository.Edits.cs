using Pgvector;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// Reading and changing one memory outside search: edits with their history, listing, erasure and the expiry sweep.
/// Every version a memory had is a row of <c>semantic_memory_history</c>, written in the transaction that supersedes it;
/// the live row is the last version.
/// </summary>
public sealed partial class SemanticMemoryRepository
{
    /// <summary>
    /// Applies an edit to a live memory: the version it supersedes goes to history, <c>version</c> + 1. A stale
    /// <see cref="SemanticPatch.ExpectedVersion"/> changes nothing.
    /// </summary>
    public Task<SemanticPatchResult> PatchAsync(string tenantId, Guid id, SemanticPatch patch, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await LockTotalsAsync(connection, transaction, tenantId, ct);
            await using (var current = new NpgsqlCommand(
                $"SELECT m.version FROM semantic_memory m WHERE m.tenant_id = @tenant AND m.id = @id AND {Live("m.")} FOR UPDATE",
                connection, transaction))
            {
                current.Parameters.AddWithValue("tenant", tenantId);
                current.Parameters.AddWithValue("id", id);
                if (await current.ExecuteScalarAsync(ct) is not long version)
                {
                    return SemanticPatchResult.NotFound;
                }

                if (patch.ExpectedVersion is { } expected && expected != version)
                {
                    return new SemanticPatchResult(SemanticPatchOutcome.VersionMismatch, null, version, 0);
                }
            }

            // Fixed fragments only: which columns change depends on which fields the edit carries.
            var set = new StringBuilder("version = m.version + 1, change = 'updated', updated_at = now()");
            if (patch.Content is not null)
            {
                set.Append(", content = @content, embedding = @embedding");
            }

            if (patch.MetadataJson is not null)
            {
                set.Append(", metadata = @metadata::jsonb");
            }

            if (patch.Namespace is not null)
            {
                set.Append(", namespace = @namespace");
            }

            var content = patch.Content is null ? "m.content" : "@content";
            var metadata = patch.MetadataJson is null ? "m.metadata" : "@metadata::jsonb";
            await using var update = new NpgsqlCommand(
                $"""
                WITH previous AS (
                    SELECT id, tenant_id, agent_id, namespace, content, metadata, version, change, updated_at, stored_bytes
                    FROM semantic_memory WHERE tenant_id = @tenant AND id = @id),
                kept AS (
                    INSERT INTO semantic_memory_history (id, tenant_id, memory_id, agent_id, version, change, content, metadata, namespace, changed_at)
                    SELECT @history_id, tenant_id, id, agent_id, version, change, content, metadata, namespace, updated_at FROM previous)
                UPDATE semantic_memory AS m
                SET {set}, stored_bytes = {StoredBytesSql(content, metadata)}
                FROM previous
                WHERE m.tenant_id = @tenant AND m.id = previous.id
                RETURNING {Columns}, m.stored_bytes - previous.stored_bytes
                """, connection, transaction);
            update.Parameters.AddWithValue("tenant", tenantId);
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("history_id", Guid.CreateVersion7());
            if (patch.Content is not null)
            {
                update.Parameters.AddWithValue("content", patch.Content);
                update.Parameters.AddWithValue("embedding", new Vector(patch.Embedding ?? throw new ArgumentException("A content change needs its embedding.", nameof(patch))));
            }

            if (patch.MetadataJson is not null)
            {
                update.Parameters.AddWithValue("metadata", patch.MetadataJson);
            }

            if (patch.Namespace is not null)
            {
                update.Parameters.AddWithValue("namespace", patch.Namespace);
            }

            var (record, delta) = await WriteRowAsync(update, connection, transaction, tenantId, vectorsAdded: 0, "The memory to patch is gone.", ct);
            return new SemanticPatchResult(SemanticPatchOutcome.Patched, record, record.Version, delta);
        }, cancellationToken);

    /// <summary>
    /// Every version of a memory, oldest first, the live one last; null when the tenant has no such memory (or it
    /// expired). A deleted memory still answers, with its versions' content erased.
    /// </summary>
    public Task<IReadOnlyList<SemanticVersion>?> GetHistoryAsync(string tenantId, Guid id, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                """
                SELECT version, change, content, metadata::text, namespace, changed_at, 0 AS live
                FROM semantic_memory_history
                WHERE tenant_id = @tenant AND memory_id = @id
                  AND EXISTS (SELECT 1 FROM semantic_memory m WHERE m.tenant_id = @tenant AND m.id = @id AND (m.expires_at IS NULL OR m.expires_at > now()))
                UNION ALL
                SELECT version, change, CASE WHEN deleted_at IS NULL THEN content END, metadata::text, namespace, updated_at, 1
                FROM semantic_memory
                WHERE tenant_id = @tenant AND id = @id AND (expires_at IS NULL OR expires_at > now())
                ORDER BY 1, 7, 6
                """, connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            select.Parameters.AddWithValue("id", id);
            var versions = new List<SemanticVersion>();
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                versions.Add(new SemanticVersion(
                    reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetString(3), reader.GetString(4), reader.GetDateTime(5)));
            }

            return versions.Count == 0 ? null : (IReadOnlyList<SemanticVersion>)versions;
        }, cancellationToken);

    /// <summary>An agent's live memories newest first, a page at a time; the cursor is opaque to callers.</summary>
    public Task<SemanticPage> ListAsync(string tenantId, string agentId, string? @namespace, int limit, string? cursor, CancellationToken cancellationToken, MetadataFilter? filter = null)
    {
        var after = cursor is null ? default((DateTime, Guid)?) : ParseCursor(cursor);
        return database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                $"""
                SELECT {Columns} FROM semantic_memory m
                WHERE m.tenant_id = @tenant AND m.agent_id = @agent AND {Live("m.")}
                  {(@namespace is null ? "" : "AND m.namespace = @namespace")}
                  {(after is null ? "" : "AND (m.created_at, m.id) < (@after_at, @after_id)")}
                  {(filter is null ? "" : $"AND ({filter.Sql})")}
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT @limit
                """, connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            select.Parameters.AddWithValue("agent", agentId);
            select.Parameters.AddWithValue("limit", limit + 1);
            // Only parameters: the compiled filter's text is operators and parentheses over unqualified columns (one table here).
            filter?.AddTo(select.Parameters);
            if (@namespace is not null)
            {
                select.Parameters.AddWithValue("namespace", @namespace);
            }

            if (after is { } position)
            {
                select.Parameters.AddWithValue("after_at", NpgsqlDbType.TimestampTz, position.Item1);
                select.Parameters.AddWithValue("after_id", position.Item2);
            }

            var records = new List<SemanticMemoryRecord>(limit + 1);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                records.Add(ReadRecord(reader));
            }

            if (records.Count <= limit)
            {
                return new SemanticPage(records, null);
            }

            records.RemoveAt(limit);
            var last = records[^1];
            return new SemanticPage(records, FormatCursor(last.CreatedAt, last.Id));
        }, cancellationToken);
    }

    /// <summary>
    /// Deletes a live memory and erases it: content, metadata and vector of the row and of every earlier version are
    /// gone; the history keeps a <c>deleted</c> entry. Returns the bytes it counted for, or null when there was none.
    /// </summary>
    public Task<long?> DeleteAsync(string tenantId, Guid id, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await LockTotalsAsync(connection, transaction, tenantId, ct);
            await using var delete = new NpgsqlCommand(
                $"""
                WITH previous AS (
                    SELECT id, tenant_id, agent_id, namespace, version, change, updated_at, stored_bytes
                    FROM semantic_memory m WHERE m.tenant_id = @tenant AND m.id = @id AND {Live("m.")} FOR UPDATE),
                erased AS (
                    UPDATE semantic_memory_history h SET content = NULL, metadata = jsonb_build_object()
                    FROM previous WHERE h.tenant_id = @tenant AND h.memory_id = previous.id),
                kept AS (
                    INSERT INTO semantic_memory_history (id, tenant_id, memory_id, agent_id, version, change, content, metadata, namespace, changed_at)
                    SELECT @history_id, tenant_id, id, agent_id, version, change, NULL, jsonb_build_object(), namespace, updated_at FROM previous)
                UPDATE semantic_memory AS m
                SET content = '', embedding = NULL, metadata = jsonb_build_object(), stored_bytes = 0,
                    version = m.version + 1, change = 'deleted', deleted_at = now(), updated_at = now()
                FROM previous
                WHERE m.tenant_id = @tenant AND m.id = previous.id
                RETURNING previous.stored_bytes
                """, connection, transaction);
            delete.Parameters.AddWithValue("tenant", tenantId);
            delete.Parameters.AddWithValue("id", id);
            delete.Parameters.AddWithValue("history_id", Guid.CreateVersion7());
            if (await delete.ExecuteScalarAsync(ct) is not long bytes)
            {
                return (long?)null;
            }

            await AddToTotalsAsync(connection, transaction, tenantId, -1, -bytes, ct);
            return bytes;
        }, cancellationToken);

    /// <summary>
    /// Removes up to <paramref name="batchSize"/> expired memories of any tenant, through the one function that may
    /// cross tenants (it deletes expired rows and nothing else). Returns what each tenant lost.
    /// </summary>
    public async Task<IReadOnlyList<SemanticExpiry>> SweepExpiredAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var sweep = database.DataSource.CreateCommand("SELECT tenant_id, vectors, bytes FROM semantic_sweep_expired(@batch)");
        sweep.Parameters.AddWithValue("batch", batchSize);
        var swept = new List<SemanticExpiry>();
        await using var reader = await sweep.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            swept.Add(new SemanticExpiry(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return swept;
    }

    private static string FormatCursor(DateTime createdAt, Guid id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{createdAt.ToUniversalTime().Ticks}:{id:N}")));

    private static (DateTime, Guid) ParseCursor(string cursor)
    {
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                return (new DateTime(ticks, DateTimeKind.Utc), id);
            }
        }
        catch (FormatException)
        {
        }

        throw new InvalidCursorException();
    }
}

/// <summary>A cursor that no listing issued.</summary>
public sealed class InvalidCursorException() : FormatException("cursor is not one this listing issued.");

/// <summary>An edit: null members stay as they are; a content change carries its new embedding.</summary>
public sealed record SemanticPatch(string? Content, float[]? Embedding, string? MetadataJson, string? Namespace, long? ExpectedVersion);

public enum SemanticPatchOutcome
{
    Patched,
    NotFound,
    VersionMismatch,
}

/// <summary>What an edit did; <see cref="CurrentVersion"/> is the version the memory has now.</summary>
public sealed record SemanticPatchResult(SemanticPatchOutcome Outcome, SemanticMemoryRecord? Memory, long CurrentVersion, long BytesAdded)
{
    public static readonly SemanticPatchResult NotFound = new(SemanticPatchOutcome.NotFound, null, 0, 0);
}

/// <summary>One version of a memory; <see cref="Content"/> is null once the memory is deleted.</summary>
public sealed record SemanticVersion(long Version, string Change, string? Content, string MetadataJson, string Namespace, DateTime ChangedAt);

/// <summary>A page of a listing; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record SemanticPage(IReadOnlyList<SemanticMemoryRecord> Memories, string? NextCursor);

/// <summary>What the expiry sweep removed from one tenant.</summary>
public sealed record SemanticExpiry(string TenantId, long Vectors, long Bytes);
