using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Apis;

/// <summary>Working memory: one versioned JSON object per agent session (<c>/v1/state</c>).</summary>
public static class StateApi
{
    private const string DefaultSession = "default";

    public static RouteGroupBuilder MapStateApi(this RouteGroupBuilder tenantApi)
    {
        var state = tenantApi.MapGroup("/state").WithTags("State");
        state.MapPost("", CreateState).WithName("CreateState").WithSummary("Creates or overwrites a session's state (version 1 when new, previous + 1 otherwise).");
        state.MapGet("/{agentId}", GetState).WithName("GetState").WithSummary("Reads a session's state; absent once past expires_at.");
        state.MapGet("/{agentId}/sessions", ListSessions).WithName("ListStateSessions").WithSummary("Lists the agent's sessions that have state.");
        state.MapPut("/{agentId}", UpdateState).WithName("UpdateState").WithSummary("Replaces a session's state if 'version' is still current (409 otherwise).");
        state.MapDelete("/{agentId}/{sessionId}", DeleteState).WithName("DeleteState").WithSummary("Deletes a session's state.");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<StateResponse>, ApiProblem>> CreateState(
        CreateStateRequest request, [FromServices] TenantContext tenant, StateStore store, CancellationToken cancellationToken)
    {
        var sessionId = request.SessionId ?? DefaultSession;
        var problem = Validate.Id(request.AgentId, "agent_id") ?? Validate.Id(sessionId, "session_id") ?? MemoryValidation.TtlHours(request.TtlHours);
        var dataProblem = ValidateData(request.Data, out var data);
        if ((problem ?? dataProblem) is { } invalid)
        {
            return invalid;
        }

        var record = await store.UpsertAsync(tenant.TenantId, request.AgentId!, sessionId, data, Ttl(request.TtlHours), cancellationToken);
        return ApiResults.Created(StateResponse.From(record));
    }

    public static async Task<Results<ApiOk<StateResponse>, ApiProblem>> GetState(
        string agentId, [FromQuery(Name = "session_id")] string? sessionId, [FromServices] TenantContext tenant, StateStore store, CancellationToken cancellationToken)
    {
        sessionId ??= DefaultSession;
        if ((Validate.Id(agentId, "agent_id") ?? Validate.Id(sessionId, "session_id")) is { } problem)
        {
            return problem;
        }

        return await store.GetAsync(tenant.TenantId, agentId, sessionId, cancellationToken) is { } record
            ? ApiResults.Ok(StateResponse.From(record))
            : ApiProblem.NotFound("No state for this agent and session.");
    }

    public static async Task<Results<ApiOk<SessionsResponse>, ApiProblem>> ListSessions(
        string agentId, [FromServices] TenantContext tenant, StateStore store, CancellationToken cancellationToken)
    {
        if (Validate.Id(agentId, "agent_id") is { } problem)
        {
            return problem;
        }

        return ApiResults.Ok(new SessionsResponse(await store.ListSessionsAsync(tenant.TenantId, agentId, cancellationToken)));
    }

    public static async Task<Results<ApiOk<StateResponse>, ApiProblem>> UpdateState(
        string agentId, UpdateStateRequest request, [FromServices] TenantContext tenant, StateStore store, CancellationToken cancellationToken)
    {
        var sessionId = request.SessionId ?? DefaultSession;
        var problem = Validate.Id(agentId, "agent_id") ?? Validate.Id(sessionId, "session_id") ?? MemoryValidation.TtlHours(request.TtlHours);
        var dataProblem = ValidateData(request.Data, out var data);
        if ((problem ?? dataProblem) is { } invalid)
        {
            return invalid;
        }

        if (request.Version is not { } version || version < 1)
        {
            return ApiProblem.Validation("'version' (the version last read, at least 1) is required.");
        }

        var result = await store.UpdateAsync(tenant.TenantId, agentId, sessionId, data, version, Ttl(request.TtlHours), cancellationToken);
        return result.Outcome switch
        {
            StateUpdateOutcome.Updated => ApiResults.Ok(StateResponse.From(result.Record!)),
            StateUpdateOutcome.VersionConflict => ApiProblem.Conflict("The state was changed since that version was read; read it again."),
            _ => ApiProblem.NotFound("No state for this agent and session."),
        };
    }

    public static async Task<Results<NoContent, ApiProblem>> DeleteState(
        string agentId, string sessionId, [FromServices] TenantContext tenant, StateStore store, CancellationToken cancellationToken)
    {
        if ((Validate.Id(agentId, "agent_id") ?? Validate.Id(sessionId, "session_id")) is { } problem)
        {
            return problem;
        }

        return await store.DeleteAsync(tenant.TenantId, agentId, sessionId, cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound("No state for this agent and session.");
    }

    private static ApiProblem? ValidateData(JsonElement? data, out string json)
    {
        json = "";
        if (data is not { ValueKind: JsonValueKind.Object } value)
        {
            return ApiProblem.Validation("'data' must be a JSON object.");
        }

        json = MemoryJson.Compact(value);
        return Encoding.UTF8.GetByteCount(json) > StateStore.MaxDataBytes ? MemoryValidation.TooLarge("'data'", StateStore.MaxDataBytes) : null;
    }

    private static TimeSpan? Ttl(int? hours) => hours is { } h ? TimeSpan.FromHours(h) : null;
}
