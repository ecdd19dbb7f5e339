using Npgsql;
using Pgvector;

namespace Mnemora.Storage.Semantic;

/// <summary>Deduplication on the write path: which candidate, if any, the new memory is, and replacing an older statement.</summary>
public sealed partial class SemanticMemoryRepository
{
    /// <summary>
    /// Judges the candidates nearest first: the nearest that is the same fact wins, else the nearest the new
    /// memory updates; when every one is distinct (or there is none) the memory is stored as new.
    /// </summary>
    private async Task<(DuplicateVerdict Verdict, SemanticMatch? Candidate)> JudgeAsync(
        string content, IReadOnlyList<SemanticMatch> candidates, CancellationToken cancellationToken)
    {
        SemanticMatch? updated = null;
        foreach (var candidate in candidates)
        {
            var judgement = await judge.JudgeAsync(content, candidate.Memory.Content, candidate.Similarity, cancellationToken);
            if (judgement.Verdict == DuplicateVerdict.Same)
            {
                return (DuplicateVerdict.Same, candidate);
            }

            if (judgement.Verdict == DuplicateVerdict.Update)
            {
                updated ??= candidate;
            }
        }

        return updated is null ? (DuplicateVerdict.Distinct, null) : (DuplicateVerdict.Update, updated);
    }

    /// <summary>
    /// The new content (and its embedding) replaces an older statement of the same fact: metadata merged, newer keys
    /// winning, <c>version</c> + 1. The version it supersedes is written to <c>semantic_memory_history</c> in the same
    /// statement, so the older fact stays readable.
    /// </summary>
    private static async Task<SemanticStoreResult> ReplaceAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, Guid id, NewSemanticMemory memory, CancellationToken cancellationToken)
    {
        await using var replace = new NpgsqlCommand(
            $"""
            WITH previous AS (
                SELECT id, tenant_id, agent_id, namespace, content, metadata, version, change, updated_at, stored_bytes
                FROM semantic_memory WHERE tenant_id = @tenant AND id = @id AND deleted_at IS NULL FOR UPDATE),
            kept AS (
                INSERT INTO semantic_memory_history (id, tenant_id, memory_id, agent_id, version, change, content, metadata, namespace, changed_at)
                SELECT @history_id, tenant_id, id, agent_id, version, change, content, metadata, namespace, updated_at
                FROM previous)
            UPDATE semantic_memory AS m
            SET content = @content,
                embedding = @embedding,
                metadata = m.metadata || @metadata::jsonb,
                version = m.version + 1,
                change = 'updated',
                expires_at = coalesce(now() + @ttl, m.expires_at),
                updated_at = now(),
                stored_bytes = {StoredBytesSql("@content", "m.metadata || @metadata::jsonb")}
            FROM previous
            WHERE m.tenant_id = @tenant AND m.id = previous.id
            RETURNING {Columns}, m.stored_bytes - previous.stored_bytes
            """, connection, transaction);
        replace.Parameters.AddWithValue("tenant", tenantId);
        replace.Parameters.AddWithValue("id", id);
        replace.Parameters.AddWithValue("history_id", Guid.CreateVersion7());
        replace.Parameters.AddWithValue("content", memory.Content);
        replace.Parameters.AddWithValue("embedding", new Vector(memory.Embedding));
        replace.Parameters.AddWithValue("metadata", memory.MetadataJson);
        AddTtl(replace.Parameters, memory.Ttl);
        var (record, delta) = await WriteRowAsync(replace, connection, transaction, tenantId, vectorsAdded: 0, "The memory to update is gone.", cancellationToken);
        return new SemanticStoreResult(record, SemanticDedup.Updated, VectorsAdded: 0, BytesAdded: delta);
    }
}
