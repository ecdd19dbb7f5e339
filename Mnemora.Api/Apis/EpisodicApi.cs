using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Memory;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Apis;

/// <summary>Episodic memory: an agent's immutable, time-ordered log, the same whether hot (DynamoDB) or cold (S3).</summary>
public static class EpisodicApi
{
    public static RouteGroupBuilder MapEpisodicApi(this RouteGroupBuilder tenantApi)
    {
        var episodic = tenantApi.MapGroup("/memory/episodic").WithTags("Episodic memory").WithRequestBodyLimit(RequestBodyLimits.Memory);
        episodic.MapPost("", CreateEpisode).WithName("CreateEpisode").WithSummary("Records an episode; the server assigns its id and timestamp.");
        episodic.MapGet("/{agent_id}", ListEpisodes).AsHeavyCall().WithName("ListEpisodes").WithSummary("Lists the agent's episodes oldest first, filtered by session, type and time; a page ends at 'limit' episodes, about 4 MB or its read budget, and 'next_cursor' continues.");
        episodic.MapGet("/{agent_id}/sessions/{session_id}", ReplaySession).AsHeavyCall().WithName("ReplaySession").WithSummary("Replays a session's episodes in time order (up to 'limit', default and max 1000, or about 4 MB; 'next_cursor' continues); an empty list for a session with none.");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<EpisodeResponse>, ApiProblem>> CreateEpisode(
        CreateEpisodeRequest request, [FromServices] TenantContext tenant, EpisodeService episodes, CancellationToken cancellationToken) =>
        await episodes.AppendAsync(tenant, request, cancellationToken) switch
        {
            { Stored: { } episode } => ApiResults.Created(EpisodeResponse.From(request.AgentId!, episode)),
            var refused => refused.Refusal!.ToProblem(),
        };

    public static async Task<Results<ApiOk<EpisodesResponse>, ApiProblem>> ListEpisodes(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromQuery(Name = "session_id")] string? sessionId,
        [FromQuery] string? type,
        [FromQuery] string? from,
        [FromQuery] string? to,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromServices] TenantContext tenant,
        EpisodeStore store,
        CancellationToken cancellationToken)
    {
        if (type is not null && !EpisodeTypes.IsValid(type))
        {
            return ApiProblem.Validation($"'type' must be one of {string.Join(", ", EpisodeTypes.All)}.");
        }

        DateTimeOffset? fromTime = null, toTime = null;
        if ((from is not null && !Validate.TryParseInstant(from, out fromTime)) || (to is not null && !Validate.TryParseInstant(to, out toTime)))
        {
            return ApiProblem.Validation("'from' and 'to' must be ISO 8601 timestamps.");
        }

        if (ParsePage(limit, cursor, EpisodeQuery.DefaultLimit, out var pageSize, out var after) is { } pageProblem)
        {
            return pageProblem;
        }

        var page = await store.ListAsync(tenant.TenantId, agentId, new EpisodeQuery(sessionId, type, fromTime, toTime, pageSize, after), cancellationToken);
        return ApiResults.Ok(ToResponse(agentId, page));
    }

    public static async Task<Results<ApiOk<EpisodesResponse>, ApiProblem>> ReplaySession(
        [FromRoute(Name = "agent_id")] string agentId,
        [FromRoute(Name = "session_id")] string sessionId,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromServices] TenantContext tenant,
        EpisodeStore store,
        CancellationToken cancellationToken)
    {
        if (ParsePage(limit, cursor, EpisodeQuery.MaxLimit, out var pageSize, out var after) is { } pageProblem)
        {
            return pageProblem;
        }

        // A session with no episodes is an empty history, not an error: chat clients read a new session first.
        var page = await store.ListAsync(tenant.TenantId, agentId, new EpisodeQuery(sessionId, Limit: pageSize, After: after), cancellationToken);
        return ApiResults.Ok(ToResponse(agentId, page));
    }

    private static ApiProblem? ParsePage(string? limit, string? cursor, int defaultLimit, out int pageSize, out EpisodePosition? after)
    {
        pageSize = defaultLimit;
        after = null;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize)
            || pageSize is < 1 or > EpisodeQuery.MaxLimit))
        {
            return ApiProblem.Validation($"'limit' must be between 1 and {EpisodeQuery.MaxLimit}.");
        }

        return cursor is not null && !EpisodePosition.TryParseCursor(cursor, out after)
            ? ApiProblem.Validation("'cursor' is not a cursor this API returned.")
            : null;
    }

    private static EpisodesResponse ToResponse(string agentId, EpisodePage page) =>
        new([.. page.Episodes.Select(e => EpisodeResponse.From(agentId, e))], page.Next?.ToCursor());
}
