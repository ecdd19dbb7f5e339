using Npgsql;

namespace Mnemora.Storage.Semantic;

/// <summary>A tenant's agents as semantic memory knows them, through the tenant role (row-level security applies).</summary>
public sealed class SemanticAgents(TenantDatabase database)
{
    /// <summary>Live memories per agent (the partial index on tenant, agent serves it).</summary>
    public Task<IReadOnlyDictionary<string, long>> CountLiveAsync(string tenantId, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                "SELECT agent_id, count(*) FROM semantic_memory WHERE tenant_id = @tenant AND deleted_at IS NULL GROUP BY agent_id",
                connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                counts[reader.GetString(0)] = reader.GetInt64(1);
            }

            return (IReadOnlyDictionary<string, long>)counts;
        }, cancellationToken);

    /// <summary>Every agent with a row, deleted rows included: what a tenant purge must reach besides the registry.</summary>
    public Task<IReadOnlyList<string>> ListAllAsync(string tenantId, CancellationToken cancellationToken) =>
        database.ExecuteAsync(tenantId, async (connection, transaction, ct) =>
        {
            await using var select = new NpgsqlCommand(
                "SELECT DISTINCT agent_id FROM semantic_memory WHERE tenant_id = @tenant", connection, transaction);
            select.Parameters.AddWithValue("tenant", tenantId);
            var agents = new List<string>();
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                agents.Add(reader.GetString(0));
            }

            return (IReadOnlyList<string>)agents;
        }, cancellationToken);
}
