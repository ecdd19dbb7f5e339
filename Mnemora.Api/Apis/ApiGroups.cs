using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;

namespace Mnemora.Api.Apis;

internal static class ApiGroups
{
    /// <summary>The tenant routes under <c>/v1</c>: every one is authenticated by an API key and counted against the tenant's quota.</summary>
    public static RouteGroupBuilder MapTenantApi(this IEndpointRouteBuilder app) =>
        app.MapGroup("/v1")
            .RequireTenant()
            .ValidateRequests();

    /// <summary>The operator routes under <c>/admin/v1</c>: authenticated by the operator key only.</summary>
    public static RouteGroupBuilder MapOperatorApi(this IEndpointRouteBuilder app) =>
        app.MapGroup("/admin/v1")
            .RequireAuthorization(TenancyAuthentication.OperatorPolicy)
            .ValidateRequests()
            .WithTags("Operator");
}
