using Mnemora.Api.Tenancy;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Agents;

/// <summary>
/// The GDPR erasure of one agent, orchestrated across every store: state, hot episodes and the cold
/// index in DynamoDB plus the cold objects in S3 (the store-level <see cref="AgentPurge"/>), its semantic rows in PostgreSQL,
/// soft-deleted ones included, and finally its entry in the agent registry, with the usage counters
/// taken down by what went. Idempotent: a second purge finds and counts nothing.
/// </summary>
public sealed partial class AgentErasure(AgentPurge memory, SemanticMemoryRepository semantic, IUsageMeter usage, ILogger<AgentErasure> logger)
{
    /// <summary>Counts are of records a reader could still see: expired state and soft-deleted memories are erased too, uncounted.</summary>
    public async Task<TenantPurgeCounts> EraseAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var memoryTask = memory.PurgeAsync(tenantId, agentId, cancellationToken);
        var semanticTask = semantic.PurgeAgentAsync(tenantId, agentId, cancellationToken);
        await Task.WhenAll(memoryTask, semanticTask);
        var stores = await memoryTask;
        var (vectors, bytes) = await semanticTask;
        if (vectors != 0 || bytes != 0)
        {
            await usage.RecordAsync(tenantId, new UsageDelta(Vectors: -vectors, PostgresBytes: -bytes), cancellationToken);
        }

        // Last: until every store is empty the registry keeps the agent, so a tenant purge still finds it on a retry.
        var forgotten = await usage.ForgetAgentAsync(tenantId, agentId, cancellationToken);
        var counts = new TenantPurgeCounts(stores.State, vectors, stores.Episodes, stores.S3Objects);
        LogPurged(tenantId, agentId, counts.State, counts.Semantic, counts.Episodic, counts.S3Objects, forgotten.Sessions);
        return counts;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Purged agent {AgentId} of tenant {TenantId}: {State} state, {Semantic} semantic, {Episodic} episodes, {S3Objects} cold objects, {Sessions} sessions")]
    private partial void LogPurged(string tenantId, string agentId, long state, long semantic, long episodic, long s3Objects, long sessions);
}

/// <summary>
/// Erases every agent of a deleted tenant. Agents are found without a Scan: the agent registry, plus
/// the agents that semantic memory (by tenant) and the bucket (by the tenant's prefix) still hold, in
/// case a crash between a write and its registration kept one out of the registry.
/// </summary>
internal sealed class TenantAgentsErasure(AgentErasure erasure, IUsageMeter usage, SemanticAgents semantic, AgentPurge memory) : ITenantErasure
{
    private const int Concurrency = 4;

    public async Task<TenantPurgeCounts> EraseAsync(string tenantId, CancellationToken cancellationToken)
    {
        var agents = new SortedSet<string>(StringComparer.Ordinal);
        agents.UnionWith(await usage.ListAgentsAsync(tenantId, cancellationToken));
        agents.UnionWith(await semantic.ListAllAsync(tenantId, cancellationToken));
        agents.UnionWith(await memory.AgentsWithObjectsAsync(tenantId, cancellationToken));
        agents.RemoveWhere(agent => !Identifiers.IsValidId(agent));

        var total = new TenantPurgeCounts();
        var sum = new Lock();
        await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, async (agentId, ct) =>
        {
            var counts = await erasure.EraseAsync(tenantId, agentId, ct);
            lock (sum)
            {
                total += counts;
            }
        });
        return total;
    }
}
