using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Summaries;
using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Apis;

/// <summary>Episode summaries: condenses chosen episodes into one semantic memory.</summary>
internal static class SummaryApi
{
    public const string DefaultNamespace = "episodic_summaries";
    public const int DefaultEpisodes = 100;

    public static RouteGroupBuilder MapSummaryApi(this RouteGroupBuilder tenantApi)
    {
        tenantApi.MapPost("/memory/episodic/{agent_id}/summarize", Summarize)
            .AsHeavyCall()
            .WithTags("Episodic memory")
            .WithName("SummarizeEpisodes")
            .WithSummary("Summarises the newest 'num_episodes' episodes (in 'session_id', between 'from' and 'to') into a semantic memory in 'namespace' (default episodic_summaries).");
        return tenantApi;
    }

    public static async Task<Results<ApiCreated<SemanticResponse>, ApiOk<SemanticResponse>, ApiProblem>> Summarize(
        [FromRoute(Name = "agent_id")] string agentId,
        SummarizeRequest? request,
        TenantContext tenant,
        SummaryService summaries,
        CancellationToken cancellationToken)
    {
        request ??= new SummarizeRequest(null, null, null, null, null);
        DateTimeOffset? from = null, to = null;
        if ((request.From is not null && !Validate.TryParseInstant(request.From, out from))
            || (request.To is not null && !Validate.TryParseInstant(request.To, out to)))
        {
            return ApiProblem.Validation("'from' and 'to' must be ISO 8601 timestamps.");
        }

        var count = request.NumEpisodes ?? DefaultEpisodes;
        var @namespace = request.Namespace ?? DefaultNamespace;
        var stored = await summaries.SummarizeAsync(tenant, new SummaryRequest(agentId, request.SessionId, from, to, count, @namespace), cancellationToken);
        if (stored is null)
        {
            return ApiProblem.NotFound("No episodes match: nothing to summarise.");
        }

        var response = SemanticResponse.From(stored);
        return response.Dedup == "none" ? ApiResults.Created(response) : ApiResults.Ok(response);
    }
}
