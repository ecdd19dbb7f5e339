using Mnemora.Api.Contracts;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Apis;

/// <summary>The tenant's own usage against its tier (<c>/v1/usage</c>).</summary>
public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder tenantApi)
    {
        tenantApi.MapGet("/usage", GetUsage)
            .WithName("GetUsage")
            .WithTags("Usage")
            .WithSummary("The tenant's calls today and this month, stored vectors and bytes, agents and sessions, against its tier's limits.");
        tenantApi.MapGet("/usage/vectors", GetVectorCount)
            .WithName("GetVectorCount")
            .WithTags("Usage")
            .WithSummary("The tenant's stored semantic memories (vectors).");
        return tenantApi;
    }

    public static async Task<ApiOk<UsageResponse>> GetUsage(TenantContext tenant, UsageReader usage, TierCatalog tiers, CancellationToken cancellationToken) =>
        ApiResults.Ok(UsageResponse.From(await usage.ReadAsync(tenant.TenantId, tenant.Tier, cancellationToken), tiers.For(tenant.Tier)));

    public static async Task<ApiOk<VectorCountResponse>> GetVectorCount(TenantContext tenant, IUsageMeter meter, CancellationToken cancellationToken) =>
        ApiResults.Ok(new VectorCountResponse((await meter.GetTotalsAsync(tenant.TenantId, cancellationToken)).Vectors));
}
