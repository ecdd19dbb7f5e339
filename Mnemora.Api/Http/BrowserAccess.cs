using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Mnemora.Api.Http;

/// <summary>
/// CORS for the tenant API (<c>/v1</c>), so that a web app can call it from a browser. Tenant calls
/// carry a bearer key and never a cookie, so any origin is allowed unless <c>Mnemora:Cors:Origins</c>
/// names some; the operator API (<c>/admin/v1</c>) answers no cross-origin call.
/// </summary>
internal static class BrowserAccess
{
    public const string Section = "Mnemora:Cors";

    private const string Policy = "tenant-api";

    /// <summary>The answer headers a browser script may read: the call limit's and when to retry.</summary>
    internal static readonly string[] ExposedHeaders = ["Retry-After", "RateLimit", "RateLimit-Policy"];

    public static IHostApplicationBuilder AddBrowserAccess(this IHostApplicationBuilder builder)
    {
        var origins = builder.Configuration.GetSection($"{Section}:Origins").Get<string[]>() ?? [];
        builder.Services.AddCors(cors => cors.AddPolicy(Policy, policy => Configure(policy, origins)));
        return builder;
    }

    /// <summary>Answers preflights and marks answers for browsers on <c>/v1</c> only, before any key is checked.</summary>
    public static WebApplication UseBrowserAccess(this WebApplication app)
    {
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase),
            v1 => v1.UseCors(Policy));
        return app;
    }

    internal static void Configure(CorsPolicyBuilder policy, IReadOnlyCollection<string> origins)
    {
        var named = origins.Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0).ToArray();
        if (named.Length == 0 || named.Contains("*"))
        {
            policy.AllowAnyOrigin();
        }
        else
        {
            policy.WithOrigins(named);
        }

        // No AllowCredentials: a key travels in Authorization, which the page sets itself.
        policy.WithHeaders("Authorization", "Content-Type")
            .AllowAnyMethod()
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
    }
}
