using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Microsoft.FluentUI.AspNetCore.Components;
using Mnemora.Dashboard.Account;
using Mnemora.Dashboard.Operator;

namespace Mnemora.Dashboard;

public static class DashboardServices
{
    public static IHostApplicationBuilder AddDashboardServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DashboardOptions>()
            .BindConfiguration(DashboardOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddFluentUIComponents();
        services.AddSingleton(TimeProvider.System);

        // Sign-in: one operator, one password, a cookie that only this site can read.
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<DashboardOptions>>((cookie, dashboard) =>
            {
                cookie.Cookie.Name = "mnemora-dashboard";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.LoginPath = AccountEndpoints.SignInPath;
                cookie.AccessDeniedPath = AccountEndpoints.SignInPath;
                cookie.ExpireTimeSpan = dashboard.Value.SessionLifetime;
                cookie.SlidingExpiration = true;
            });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddSingleton<OperatorPassword>();

        // The operator key is set here, on the server's HttpClient, and nowhere else.
        services.AddHttpClient<OperatorApiClient>((provider, client) =>
        {
            var options = provider.GetRequiredService<IOptions<DashboardOptions>>().Value;
            client.BaseAddress = options.ApiBaseAddress;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.OperatorKey);
        });
        // Creating a tenant or issuing a key must not run twice; a tenant's purge may take a while.
        services.AddOptions<HttpStandardResilienceOptions>($"{nameof(OperatorApiClient)}-standard").Configure(resilience =>
        {
            resilience.Retry.DisableForUnsafeHttpMethods();
            resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(90);
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(2);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(3);
        });

        return builder;
    }
}
