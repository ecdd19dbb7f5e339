using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Apis;

/// <summary>Episodic memory: an agent's immutable, time-ordered log, the same whether hot (DynamoDB) or cold (S3).</summary>
public static class EpisodicApi
{
    public static RouteGroupBuilder MapEpisodicApi(this RouteGroupBuilder tenantApi)
    {
        var episodic = tenantApi.MapGroup("/memory/episodic").WithTags("Episodic memory");
        episodic.MapPost("", CreateEpisode).WithName("CreateEpisode").WithSummary("Records an episode; the server assigns its id and timestamp.");
        episodic.MapGet("/{agentId}", ListEpisodes).WithName("ListEpisodes").WithSummary("Lists the agent's episodes oldest first, filtered by session, type and time; 'cursor' continues.");
        episodic.MapGet("/{agentId}/sessions/{sessionId}", ReplaySession).WithName("ReplaySession").WithSummary("Replays a session's episodes in time order (up to 'limit', default and max 1000; 'cursor' continues).");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<EpisodeResponse>, ApiProblem>> CreateEpisode(
        CreateEpisodeRequest request, [FromServices] TenantContext tenant, EpisodeStore store, CancellationToken cancellationToken)
    {
        if ((Validate.Id(request.AgentId, "agent_id") ?? Validate.Id(request.SessionId, "session_id")) is { } problem)
        {
            return problem;
        }

        if (!EpisodeTypes.IsValid(request.Type))
        {
            return ApiProblem.Validation($"'type' must be one of {string.Join(", ", EpisodeTypes.All)}.");
        }

        if (request.Content is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } content)
        {
            return ApiProblem.Validation("'content' is required (a string or any JSON value).");
        }

        if (request.Metadata is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null })
        {
            return ApiProblem.Validation("'metadata' must be a JSON object.");
        }

        var contentJson = MemoryJson.Compact(content);
        var metadataJson = request.Metadata is { ValueKind: JsonValueKind.Object } metadata ? MemoryJson.Compact(metadata) : "{}";
        if (Encoding.UTF8.GetByteCount(contentJson) + Encoding.UTF8.GetByteCount(metadataJson) > EpisodeStore.MaxEpisodeBytes)
        {
            return MemoryValidation.TooLarge("An episode's content and metadata", EpisodeStore.MaxEpisodeBytes);
        }

        var episode = await store.AppendAsync(tenant.TenantId, request.AgentId!, request.SessionId!, request.Type!, contentJson, metadataJson, cancellationToken);
        return ApiResults.Created(EpisodeResponse.From(request.AgentId!, episode));
    }

    public static async Task<Results<ApiOk<EpisodesResponse>, ApiProblem>> ListEpisodes(
        string agentId,
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
        if ((Validate.Id(agentId, "agent_id") ?? (sessionId is null ? null : Validate.Id(sessionId, "session_id"))) is { } problem)
        {
            return problem;
        }

        if (type is not null && !EpisodeTypes.IsValid(type))
        {
            return ApiProblem.Validation($"'type' must be one of {string.Join(", ", EpisodeTypes.All)}.");
        }

        DateTimeOffset? fromTime = null, toTime = null;
        if ((from is not null && !MemoryValidation.TryParseInstant(from, out fromTime)) || (to is not null && !MemoryValidation.TryParseInstant(to, out toTime)))
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
        string agentId,
        string sessionId,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromServices] TenantContext tenant,
        EpisodeStore store,
        CancellationToken cancellationToken)
    {
        var pageProblem = ParsePage(limit, cursor, EpisodeQuery.MaxLimit, out var pageSize, out var after);
        if ((Validate.Id(agentId, "agent_id") ?? Validate.Id(sessionId, "session_id") ?? pageProblem) is { } problem)
        {
            return problem;
        }

        var page = await store.ListAsync(tenant.TenantId, agentId, new EpisodeQuery(sessionId, Limit: pageSize, After: after), cancellationToken);
        if (page.Episodes.Count == 0 && after is null)
        {
            return ApiProblem.NotFound("This session has no episodes.");
        }

        return ApiResults.Ok(ToResponse(agentId, page));
    }

    private static ApiProblem? ParsePage(string? limit, string? cursor, int defaultLimit, out int pageSize, out EpisodePosition? after)
    {
        pageSize = defaultLimit;
        after = null;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
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
