using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Memory;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Apis;

/// <summary>Working memory: one versioned JSON object per agent session (<c>/v1/state</c>).</summary>
public static class StateApi
{
    public static RouteGroupBuilder MapStateApi(this RouteGroupBuilder tenantApi)
    {
        var state = tenantApi.MapGroup("/state").WithTags("State").WithRequestBodyLimit(RequestBodyLimits.Memory);
        state.MapPost("", CreateState).WithName("CreateState").WithSummary("Creates or overwrites a session's state (version 1 when new, previous + 1 otherwise).");
        state.MapGet("/{agent_id}", GetState).WithName("GetState").WithSummary("Reads a session's state; absent once past expires_at.");
        state.MapGet("/{agent_id}/sessions", ListSessions).WithName("ListStateSessions").WithSummary("Lists the agent's sessions that have state.");
        state.MapPut("/{agent_id}", UpdateState).WithName("UpdateState").WithSummary("Replaces a session's state if 'version' is still current (409 otherwise).");
        state.MapDelete("/{agent_id}/{session_id}", DeleteState).WithName("DeleteState").WithSummary("Deletes a session's state.");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<StateResponse>, ApiProblem>> CreateState(
        CreateStateRequest request, [FromServices] TenantContext tenant, StateService states, CancellationToken cancellationToken) =>
        await states.CreateAsync(tenant, request, cancellationToken) switch
        {
            { Stored: { } record } => ApiResults.Created(StateResponse.From(record)),
            var refused => refused.Refusal!.ToProblem(),
        };

    public static async Task<Results<ApiOk<StateResponse>, ApiProblem>> GetState(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromQuery(Name = "session_id")] string? sessionId,
        [FromServices] TenantContext tenant,
        StateStore store,
        CancellationToken cancellationToken) =>
        await store.GetAsync(tenant.TenantId, agentId, sessionId ?? StateService.DefaultSession, cancellationToken) is { } record
            ? ApiResults.Ok(StateResponse.From(record))
            : ApiProblem.NotFound("No state for this agent and session.");

    public static async Task<Results<ApiOk<SessionsResponse>, ApiProblem>> ListSessions(
        [FromRoute(Name = "agent_id")] string agentId, [FromServices] TenantContext tenant, StateStore store, CancellationToken cancellationToken) =>
        ApiResults.Ok(new SessionsResponse(await store.ListSessionsAsync(tenant.TenantId, agentId, cancellationToken)));

    public static async Task<Results<ApiOk<StateResponse>, ApiProblem>> UpdateState(
        [FromRoute(Name = "agent_id")] string agentId, UpdateStateRequest request, [FromServices] TenantContext tenant, StateService states, CancellationToken cancellationToken)
    {
        var result = await states.UpdateAsync(tenant, agentId, request, cancellationToken);
        return result.Stored?.Outcome switch
        {
            null => result.Refusal!.ToProblem(),
            StateUpdateOutcome.Updated => ApiResults.Ok(StateResponse.From(result.Stored.Record!)),
            StateUpdateOutcome.VersionConflict => ApiProblem.Conflict("The state was changed since that version was read; read it again."),
            _ => ApiProblem.NotFound("No state for this agent and session."),
        };
    }

    public static async Task<Results<NoContent, ApiProblem>> DeleteState(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromRoute(Name = "session_id")] string sessionId,
        [FromServices] TenantContext tenant,
        StateStore store,
        CancellationToken cancellationToken) =>
        await store.DeleteAsync(tenant.TenantId, agentId, sessionId, cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound("No state for this agent and session.");
}
