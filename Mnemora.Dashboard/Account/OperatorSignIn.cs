using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Mnemora.Dashboard.Account;

public static class OperatorSignIn
{
    /// <summary>
    /// Sign-in: one operator, one password, a cookie that only this site can read (Secure whenever the
    /// request is HTTPS, as a trusted proxy reports it), ended by a password change; wrong passwords throttled per client.
    /// </summary>
    public static IHostApplicationBuilder AddOperatorSignIn(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddTrustedProxies();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<DashboardOptions>>((cookie, dashboard) =>
            {
                cookie.Cookie.Name = "mnemora-dashboard";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                // HTTP stays usable on a fresh machine without a development certificate; over HTTPS the cookie never leaves it.
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.LoginPath = AccountEndpoints.SignInPath;
                cookie.AccessDeniedPath = AccountEndpoints.SignInPath;
                cookie.ExpireTimeSpan = dashboard.Value.SessionLifetime;
                cookie.SlidingExpiration = true;
                cookie.Events.OnValidatePrincipal = OperatorSession.ValidateAsync;
            });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddSingleton<OperatorPassword>();
        services.AddSingleton<OperatorSession>();

        services.AddOptions<SignInOptions>()
            .BindConfiguration(SignInOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<SignInThrottle>();
        return builder;
    }
}
