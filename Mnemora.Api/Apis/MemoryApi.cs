using Mnemora.Api.Audit;
using Mnemora.Storage.Audit;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mnemora.Api.Agents;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Memory;
using Mnemora.Api.Semantic;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Apis;

/// <summary>The whole agent (<c>/v1/memory</c>): one write route for every kind, a snapshot, one search over all kinds, and the GDPR purge.</summary>
public static class MemoryApi
{
    private const int SnapshotSemantic = 5;
    private const int SnapshotEpisodes = 10;

    public static RouteGroupBuilder MapMemoryApi(this RouteGroupBuilder tenantApi)
    {
        var memory = tenantApi.MapGroup("/memory").WithTags("Whole agent");
        memory.MapPost("", StoreMemory)
            .WithRequestBodyLimit(RequestBodyLimits.Memory)
            .WithName("StoreMemory")
            // The handler binds the body as optional only to answer an empty one itself; the contract requires it.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.RequestBody is Microsoft.OpenApi.OpenApiRequestBody body)
                {
                    body.Required = true;
                }

                return Task.CompletedTask;
            })
            .WithSummary("Writes state (a body with 'data'), an episode ('type' and 'session_id') or else a semantic memory ('content'), with that route's response.");
        memory.MapPost("/search", SearchMemory)
            .WithRequestBodyLimit(RequestBodyLimits.Text)
            .WithName("SearchMemory")
            .WithSummary("Semantic memories and the agent's recent episodes nearest in meaning to a query, in one list, best first.");
        memory.MapGet("/{agent_id}", GetAgentMemory)
            .WithName("GetAgentMemory")
            .WithSummary("The agent's default-session state, 5 newest semantic memories and 10 newest episodes (newest first).");
        memory.MapDelete("/{agent_id}", PurgeAgent)
            .WithName("PurgeAgent")
            .WithSummary("GDPR purge: hard-deletes the agent's state, semantic memories and episodes (hot and cold) in every store.");
        return tenantApi;
    }

    /// <summary>Routes by shape and writes through the same services and rules as the route of that kind, so it answers exactly as that route does.</summary>
    public static async Task<Results<ApiCreated<StateResponse>, ApiCreated<EpisodeResponse>, ApiCreated<SemanticResponse>, ApiOk<SemanticResponse>, ApiProblem>> StoreMemory(
        // Nullable, so that an empty body reaches the handler's 400 instead of failing in binding.
        [FromBody] JsonElement? body,
        [FromServices] TenantContext tenant,
        StateService states,
        EpisodeService episodes,
        SemanticMemoryService semantic,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken cancellationToken)
    {
        if (body is not { ValueKind: JsonValueKind.Object } shape)
        {
            return ApiProblem.Validation("The body must be a JSON object with 'data' (state), 'type' and 'session_id' (an episode) or 'content' (a semantic memory).");
        }

        var options = json.Value.SerializerOptions;
        if (Has(shape, "data"))
        {
            if (Read<CreateStateRequest>(shape, options, out var request) is { } problem)
            {
                return problem;
            }

            return await states.CreateAsync(tenant, request, cancellationToken) switch
            {
                { Stored: { } record } => ApiResults.Created(StateResponse.From(record)),
                var refused => refused.Refusal!.ToProblem(),
            };
        }

        if (Has(shape, "type") && Has(shape, "session_id"))
        {
            if (Read<CreateEpisodeRequest>(shape, options, out var request) is { } problem)
            {
                return problem;
            }

            return await episodes.AppendAsync(tenant, request, cancellationToken) switch
            {
                { Stored: { } episode } => ApiResults.Created(EpisodeResponse.From(request.AgentId!, episode)),
                var refused => refused.Refusal!.ToProblem(),
            };
        }

        if (Read<StoreSemanticRequest>(shape, options, out var semanticRequest) is { } semanticProblem)
        {
            return semanticProblem;
        }

        var metadata = semanticRequest.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}";
        var ttl = semanticRequest.TtlHours is { } hours ? TimeSpan.FromHours(hours) : (TimeSpan?)null;
        var stored = await semantic.StoreAsync(
            tenant, semanticRequest.AgentId!, semanticRequest.Namespace ?? SemanticApi.DefaultNamespace, semanticRequest.Content!, metadata, ttl, cancellationToken);
        var response = SemanticResponse.From(stored.Memory, similarity: null, stored.Deduplicated);
        return stored.Deduplicated ? ApiResults.Ok(response) : ApiResults.Created(response);
    }

    public static async Task<Results<ApiOk<AgentMemoryResponse>, ApiProblem>> GetAgentMemory(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromServices] TenantContext tenant,
        StateStore states,
        SemanticMemoryRepository semantic,
        RecentEpisodes episodes,
        CancellationToken cancellationToken)
    {
        var stateTask = states.GetAsync(tenant.TenantId, agentId, StateService.DefaultSession, cancellationToken);
        var semanticTask = semantic.ListNewestAsync(tenant.TenantId, agentId, SnapshotSemantic, cancellationToken);
        var episodesTask = episodes.ListAsync(tenant.TenantId, agentId, SnapshotEpisodes, cancellationToken);
        await Task.WhenAll(stateTask, semanticTask, episodesTask);
        return ApiResults.Ok(new AgentMemoryResponse(
            await stateTask is { } state ? StateResponse.From(state) : null,
            [.. (await semanticTask).Select(m => SemanticResponse.From(m, similarity: null, deduplicated: false))],
            [.. (await episodesTask).Select(e => EpisodeResponse.From(agentId, e))]));
    }

    public static async Task<Results<ApiOk<MemorySearchResponse>, ApiProblem>> SearchMemory(
        MemorySearchRequest request, [FromServices] TenantContext tenant, MemorySearch search, CancellationToken cancellationToken)
    {
        var matches = await search.SearchAsync(
            tenant.TenantId, request.Query!, request.AgentId, request.TopK ?? RequestLimits.DefaultTopK, request.Threshold ?? RequestLimits.DefaultThreshold, cancellationToken);
        return ApiResults.Ok(new MemorySearchResponse([.. matches.Select(m => MemorySearchResult.From(m, request.AgentId))]));
    }

    public static async Task<Results<ApiOk<AgentPurgeResponse>, ApiProblem>> PurgeAgent(
        [FromRoute(Name = "agent_id")] string agentId, [FromServices] TenantContext tenant, AgentErasure erasure, AuditTrail audit, CancellationToken cancellationToken)
    {
        var deleted = await erasure.EraseAsync(tenant.TenantId, agentId, cancellationToken);
        await audit.RecordAsync(tenant.TenantId, AuditActions.AgentPurged, AuditTrail.Succeeded, new Dictionary<string, string> { ["agent_id"] = agentId }, cancellationToken);
        return ApiResults.Ok(new AgentPurgeResponse(agentId, deleted, deleted.State, deleted.Semantic, deleted.Episodic));
    }

    /// <summary>A member that is present and not null decides the kind, as the contract's "routes by shape" reads.</summary>
    private static bool Has(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Reads the body as the route of its kind would, then checks that route's declared rules.</summary>
    private static ApiProblem? Read<T>(JsonElement body, JsonSerializerOptions options, out T request)
        where T : class
    {
        try
        {
            request = body.Deserialize<T>(options)!;
        }
        catch (JsonException)
        {
            request = null!;
            return Unreadable();
        }

        return RequestValidation.Check(request);
    }

    private static ApiProblem Unreadable() =>
        ApiProblem.Validation("The body's members do not have the types the contract gives them.");
}
