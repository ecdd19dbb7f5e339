using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mnemora.Api.Tenancy;

internal static class TenancyExtensions
{
    /// <summary>API-key and operator authentication and the tenant context (the tenants' stores come with AddMnemoraStorage).</summary>
    public static IHostApplicationBuilder AddTenancy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TenancyOptions>()
            .BindConfiguration(TenancyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Any bytes in Authorization decode (as Latin-1), so a garbled key reaches the handler and gets
        // the contract's 401 instead of Kestrel's bare 400; other headers keep the default decoding.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.RequestHeaderEncodingSelector =
            name => string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) ? Encoding.Latin1 : null);

        builder.Services.AddScoped<TenantContext>();
        builder.Services.AddSingleton<ApiKeyResolver>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ApiKeyResolver>());
        builder.Services.AddSingleton<CallLeases>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CallLeases>());
        builder.AddKeyGuard();
        builder.AddBurstLimiting();
        builder.AddHeavyCalls();

        // No default scheme: each route group names the scheme its policy accepts.
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(TenancyAuthentication.ApiKeyScheme, null)
            .AddScheme<AuthenticationSchemeOptions, OperatorAuthenticationHandler>(TenancyAuthentication.OperatorScheme, null);

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(TenancyAuthentication.TenantPolicy, policy => policy
                .AddAuthenticationSchemes(TenancyAuthentication.ApiKeyScheme)
                .RequireRole(TenancyAuthentication.TenantRole))
            // A tenant key is recognised here too, so that it is refused with 403 rather than 401.
            .AddPolicy(TenancyAuthentication.OperatorPolicy, policy => policy
                .AddAuthenticationSchemes(TenancyAuthentication.OperatorScheme, TenancyAuthentication.ApiKeyScheme)
                .RequireRole(TenancyAuthentication.OperatorRole));
        return builder;
    }

    /// <summary>
    /// Authentication (with the key guard), authorization, the tenant's burst limit, its share of the replica's heavy
    /// calls, then the daily quota: a call refused for bursting or for its own heavy calls is not counted.
    /// </summary>
    public static WebApplication UseTenancy(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<HeavyCallMiddleware>();
        app.UseMiddleware<DailyQuotaMiddleware>();
        return app;
    }

    /// <summary>Every call of the group needs a tenant key, passes the tenant's burst limit and counts against its daily quota.</summary>
    public static RouteGroupBuilder RequireTenant(this RouteGroupBuilder group)
    {
        group.RequireAuthorization(TenancyAuthentication.TenantPolicy)
            .RequireRateLimiting(BurstLimiting.Policy)
            .WithMetadata(DailyQuotaMetadata.Instance);
        return group;
    }
}
