using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Apis;

/// <summary>The tier table for the operator, under <c>/admin/v1</c>: what the dashboard shows is what the API enforces.</summary>
public static class TierApi
{
    public static IEndpointRouteBuilder MapTierApi(this IEndpointRouteBuilder app)
    {
        app.MapOperatorApi().MapGet("/tiers", ListTiers)
            .WithName("ListTiers")
            .WithSummary("Every tier with its daily calls, vectors, storage bytes and embeddings per month.");
        return app;
    }

    public static ApiOk<TierListResponse> ListTiers(TierCatalog tiers) =>
        ApiResults.Ok(new TierListResponse([.. tiers.All.Select(TierResponse.From)]));
}
