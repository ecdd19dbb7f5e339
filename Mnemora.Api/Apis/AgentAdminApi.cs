using Mnemora.Api.Audit;
using Mnemora.Storage.Audit;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Agents;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Apis;

/// <summary>The operator's view of a tenant's agents and daily calls, under <c>/admin/v1</c>, for the operator key only.</summary>
public static class AgentAdminApi
{
    private const int CountConcurrency = 8;

    public static IEndpointRouteBuilder MapAgentAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapOperatorApi();
        admin.MapGet("/tenants/{tenant_id}/agents", ListAgents).WithName("ListAgents").WithSummary("The tenant's agents with their live state records, semantic memories and episodes.");
        admin.MapDelete("/tenants/{tenant_id}/agents/{agent_id}", PurgeAgent).WithName("PurgeTenantAgent").WithSummary("GDPR purge of one agent of the tenant, in every store.");
        admin.MapGet("/tenants/{tenant_id}/usage/daily", GetDailyUsage).WithName("GetDailyUsage").WithSummary("The tenant's API calls per UTC day, oldest first, today last.");
        return app;
    }

    public static async Task<Results<ApiOk<AgentListResponse>, ApiProblem>> ListAgents(
        [FromRoute(Name = "tenant_id")] string tenantId,
        TenantStore tenants,
        IUsageMeter registry,
        SemanticAgents semantic,
        AgentPurge memory,
        CancellationToken cancellationToken)
    {
        if (await tenants.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        var semanticTask = semantic.CountLiveAsync(tenantId, cancellationToken);
        var agents = new SortedSet<string>(await registry.ListAgentsAsync(tenantId, cancellationToken), StringComparer.Ordinal);
        var semanticCounts = await semanticTask;
        agents.UnionWith(semanticCounts.Keys);

        var summaries = new AgentSummary[agents.Count];
        await Parallel.ForEachAsync(agents.Select((agent, index) => (agent, index)), new ParallelOptions { MaxDegreeOfParallelism = CountConcurrency, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            var counts = await memory.CountAsync(tenantId, entry.agent, ct);
            summaries[entry.index] = new AgentSummary(entry.agent, counts.State, semanticCounts.GetValueOrDefault(entry.agent), counts.Episodes);
        });
        return ApiResults.Ok(new AgentListResponse(summaries));
    }

    /// <summary>Purges one agent; also of a deleted tenant (a retry after a failed tenant purge). Purging an agent with nothing left reports zeros.</summary>
    public static async Task<Results<ApiOk<AgentPurgedResponse>, ApiProblem>> PurgeAgent(
        [FromRoute(Name = "tenant_id")] string tenantId,
        [FromRoute(Name = "agent_id")] string agentId,
        TenantStore tenants,
        AgentErasure erasure,
        AuditTrail audit,
        CancellationToken cancellationToken)
    {
        if (await tenants.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        var deleted = await erasure.EraseAsync(tenantId, agentId, cancellationToken);
        await audit.RecordAsync(tenantId, AuditActions.AgentPurged, AuditTrail.Succeeded, new Dictionary<string, string> { ["agent_id"] = agentId }, cancellationToken);
        return ApiResults.Ok(new AgentPurgedResponse(agentId, deleted));
    }

    public static async Task<Results<ApiOk<DailyUsageResponse>, ApiProblem>> GetDailyUsage(
        [FromRoute(Name = "tenant_id")] string tenantId,
        [FromQuery] string? days,
        TenantStore tenants,
        CallHistory history,
        CallLeases leases,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var count = 30;
        if (days is not null && (!int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > RequestLimits.MaxUsageDays))
        {
            return ApiProblem.Validation($"'days' must be between 1 and {RequestLimits.MaxUsageDays}.");
        }

        if (await tenants.GetTenantAsync(tenantId, cancellationToken) is null)
        {
            return TenantNotFound(tenantId);
        }

        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var calls = await history.GetDailyCallsAsync(tenantId, today.AddDays(1 - count), today, cancellationToken);
        // Today's counter runs ahead by this replica's unused lease, as /v1/usage allows for too.
        var leased = leases.Unused(tenantId, now);
        return ApiResults.Ok(new DailyUsageResponse([.. calls.Select(d => new DailyCallsResponse(
            d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Date == today ? Math.Max(0, d.Calls - leased) : d.Calls))]));
    }

    private static ApiProblem TenantNotFound(string tenantId) => ApiProblem.NotFound($"No tenant '{tenantId}'.");
}
