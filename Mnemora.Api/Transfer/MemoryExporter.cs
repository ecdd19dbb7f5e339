using System.Runtime.CompilerServices;
using Mnemora.Storage.Audit;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Transfer;

/// <summary>
/// Every record of an agent (or of every agent of a tenant) as one lazy sequence: its live state
/// records, its episodes oldest first (hot and cold, through the same merged read the routes use),
/// then its live semantic memories. Each store is read a page at a time, so an export of any size
/// holds one page in memory. A tenant export ends with the tenant's audit trail, newest first.
/// </summary>
internal sealed class MemoryExporter(StateStore states, EpisodeStore episodes, SemanticMemoryRepository semantic, TenantAgents agents, AuditLog audit)
{
    public async IAsyncEnumerable<ExportRecord> ReadAgentAsync(
        string tenantId, string agentId, bool embeddings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var state in states.ReadAllAsync(tenantId, agentId, cancellationToken))
        {
            yield return new StateExport(state);
        }

        await foreach (var episode in episodes.ReadAllAsync(tenantId, agentId, cancellationToken))
        {
            yield return new EpisodeExport(agentId, episode);
        }

        await foreach (var row in semantic.ReadAllAsync(tenantId, agentId, embeddings, cancellationToken))
        {
            yield return new SemanticExport(row);
        }
    }

    /// <summary>Every agent of the tenant, from its agent registry (one Query, no Scan), one after the other; then its audit events (a Query a page).</summary>
    public async IAsyncEnumerable<ExportRecord> ReadTenantAsync(string tenantId, bool embeddings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var agentId in agents.ListAsync(tenantId, cancellationToken))
        {
            await foreach (var record in ReadAgentAsync(tenantId, agentId, embeddings, cancellationToken))
            {
                yield return record;
            }
        }

        string? cursor = null;
        do
        {
            var page = await audit.ReadAsync(tenantId, AuditLog.MaxPage, cursor, cancellationToken);
            foreach (var entry in page.Events)
            {
                yield return new AuditExport(entry);
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }
}
