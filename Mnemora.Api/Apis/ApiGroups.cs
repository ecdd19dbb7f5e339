namespace Mnemora.Api.Apis;

internal static class ApiGroups
{
    /// <summary>The tenant routes under <c>/v1</c>: every one is authenticated by an API key and counted against the tenant's quota.</summary>
    public static RouteGroupBuilder MapTenantApi(this IEndpointRouteBuilder app) => app.MapGroup("/v1");
}
