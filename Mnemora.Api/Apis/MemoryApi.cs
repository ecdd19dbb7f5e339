using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Mnemora.Api.Agents;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Semantic;
using Mnemora.Api.Storage.Semantic;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Apis;

/// <summary>The whole agent (<c>/v1/memory</c>): one write route for every kind, a snapshot, one search over all kinds, and the GDPR purge.</summary>
public static class MemoryApi
{
    private const string DefaultSession = "default";
    private const int SnapshotSemantic = 5;
    private const int SnapshotEpisodes = 10;

    public static RouteGroupBuilder MapMemoryApi(this RouteGroupBuilder tenantApi)
    {
        var memory = tenantApi.MapGroup("/memory").WithTags("Whole agent");
        memory.MapPost("", StoreMemory)
            .WithName("StoreMemory")
            .WithSummary("Writes state (a body with 'data'), an episode ('type' and 'session_id') or else a semantic memory ('content'), with that route's response.");
        memory.MapPost("/search", SearchMemory)
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

    /// <summary>Routes by shape and hands the body to the route of that kind, which validates and answers exactly as it does itself.</summary>
    public static async Task<Results<ApiCreated<StateResponse>, ApiCreated<EpisodeResponse>, ApiCreated<SemanticResponse>, ApiOk<SemanticResponse>, ApiProblem>> StoreMemory(
        [FromBody] JsonElement body,
        [FromServices] TenantContext tenant,
        StateStore states,
        EpisodeStore episodes,
        SemanticMemoryService semantic,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        CancellationToken cancellationToken)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return ApiProblem.Validation("The body must be a JSON object with 'data' (state), 'type' and 'session_id' (an episode) or 'content' (a semantic memory).");
        }

        var options = json.Value.SerializerOptions;
        if (Has(body, "data"))
        {
            return !TryRead<CreateStateRequest>(body, options, out var request) ? Unreadable()
                : (await StateApi.CreateState(request, tenant, states, cancellationToken)).Result switch
                {
                    ApiCreated<StateResponse> created => created,
                    ApiProblem problem => problem,
                    var other => throw Unexpected(other),
                };
        }

        if (Has(body, "type") && Has(body, "session_id"))
        {
            return !TryRead<CreateEpisodeRequest>(body, options, out var request) ? Unreadable()
                : (await EpisodicApi.CreateEpisode(request, tenant, episodes, cancellationToken)).Result switch
                {
                    ApiCreated<EpisodeResponse> created => created,
                    ApiProblem problem => problem,
                    var other => throw Unexpected(other),
                };
        }

        return !TryRead<StoreSemanticRequest>(body, options, out var semanticRequest) ? Unreadable()
            : (await SemanticApi.StoreMemory(semanticRequest, tenant, semantic, cancellationToken)).Result switch
            {
                ApiCreated<SemanticResponse> created => created,
                ApiOk<SemanticResponse> merged => merged,
                ApiProblem problem => problem,
                var other => throw Unexpected(other),
            };
    }

    public static async Task<Results<ApiOk<AgentMemoryResponse>, ApiProblem>> GetAgentMemory(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromServices] TenantContext tenant,
        StateStore states,
        SemanticMemoryRepository semantic,
        RecentEpisodes episodes,
        CancellationToken cancellationToken)
    {
        if (Validate.Id(agentId, "agent_id") is { } problem)
        {
            return problem;
        }

        var stateTask = states.GetAsync(tenant.TenantId, agentId, DefaultSession, cancellationToken);
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
        if (string.IsNullOrWhiteSpace(request.Query))
        {
            return ApiProblem.Validation("query must not be empty.");
        }

        if (request.Query.Length > SemanticApi.MaxContentCharacters)
        {
            return new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"query must be at most {SemanticApi.MaxContentCharacters} characters.");
        }

        if (request.AgentId is not null && Validate.Id(request.AgentId, "agent_id") is { } agentProblem)
        {
            return agentProblem;
        }

        var topK = request.TopK ?? 10;
        if (topK is < 1 or > SemanticApi.MaxTopK)
        {
            return ApiProblem.Validation($"top_k must be between 1 and {SemanticApi.MaxTopK}.");
        }

        var threshold = request.Threshold ?? 0.1;
        if (double.IsNaN(threshold) || threshold is < 0 or > 1)
        {
            return ApiProblem.Validation("threshold must be between 0 and 1.");
        }

        var matches = await search.SearchAsync(tenant.TenantId, request.Query, request.AgentId, topK, threshold, cancellationToken);
        return ApiResults.Ok(new MemorySearchResponse([.. matches.Select(m => MemorySearchResult.From(m, request.AgentId))]));
    }

    public static async Task<Results<ApiOk<AgentPurgeResponse>, ApiProblem>> PurgeAgent(
        [FromRoute(Name = "agent_id")] string agentId, [FromServices] TenantContext tenant, AgentPurger purger, CancellationToken cancellationToken)
    {
        if (Validate.Id(agentId, "agent_id") is { } problem)
        {
            return problem;
        }

        var deleted = await purger.PurgeAsync(tenant.TenantId, agentId, cancellationToken);
        return ApiResults.Ok(new AgentPurgeResponse(agentId, deleted, deleted.State, deleted.Semantic, deleted.Episodic));
    }

    /// <summary>A member that is present and not null decides the kind, as the contract's "routes by shape" reads.</summary>
    private static bool Has(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    private static bool TryRead<T>(JsonElement body, JsonSerializerOptions options, out T request)
        where T : class
    {
        try
        {
            request = body.Deserialize<T>(options)!;
            return true;
        }
        catch (JsonException)
        {
            request = null!;
            return false;
        }
    }

    private static ApiProblem Unreadable() =>
        ApiProblem.Validation("The body's members do not have the types the contract gives them.");

    private static UnreachableException Unexpected(IResult result) => new($"The route answered with {result.GetType().Name}.");
}

public sealed record MemorySearchRequest(string? Query, string? AgentId, int? TopK, double? Threshold);

public sealed record MemorySearchResponse(IReadOnlyList<MemorySearchResult> Results);

/// <summary>
/// One hit of the whole-agent search. A semantic memory carries <c>similarity_score</c> and
/// <c>created_at</c>; an episode carries <c>relevance</c> (cosine similarity of its content to the
/// query, the same scale) and <c>timestamp</c>, plus its <c>session_id</c> and <c>type</c>.
/// </summary>
public sealed record MemorySearchResult(
    string MemoryType,
    string Id,
    string AgentId,
    JsonElement Content,
    double? SimilarityScore,
    double? Relevance,
    JsonElement Metadata,
    DateTime? CreatedAt,
    string? Timestamp,
    string? SessionId,
    string? Type)
{
    internal static MemorySearchResult From(MemoryMatch match, string? agentId)
    {
        if (match.Memory is { } memory)
        {
            return new MemorySearchResult("semantic", memory.Id.ToString(), memory.AgentId, JsonSerializer.SerializeToElement(memory.Content),
                match.Score, null, MemoryJson.Parse(memory.MetadataJson), memory.CreatedAt, null, null, null);
        }

        var episode = match.Episode!;
        return new MemorySearchResult("episodic", episode.Id, agentId!, MemoryJson.Parse(episode.ContentJson),
            null, match.Score, MemoryJson.Parse(episode.MetadataJson), null, episode.Timestamp, episode.SessionId, episode.Type);
    }
}

/// <summary>The whole-agent snapshot: default-session state (or null), newest semantic memories and newest episodes, newest first.</summary>
public sealed record AgentMemoryResponse(StateResponse? State, IReadOnlyList<SemanticResponse> Semantic, IReadOnlyList<EpisodeResponse> Episodic);

/// <summary>What a purge deleted, in both shapes the contract names: per store, and the flat totals.</summary>
public sealed record AgentPurgeResponse(string AgentId, TenantPurgeCounts Deleted, long StateDeleted, long SemanticDeleted, long EpisodesDeleted);
