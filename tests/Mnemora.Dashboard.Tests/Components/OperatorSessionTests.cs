using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Dashboard.Account;

namespace Mnemora.Dashboard.Tests.Components;

/// <summary>The sign-in cookie as the dashboard configures it: ended by a password change, Secure over HTTPS.</summary>
public sealed class OperatorSessionTests
{
    private const string OperatorKey = "op_0123456789abcdef0123";

    [Fact]
    public async Task ChangingThePasswordEndsSessionsOpenedWithTheOldOne()
    {
        await using var before = Dashboard("the-old-password");
        var session = before.Services.GetRequiredService<OperatorSession>().CreatePrincipal();

        // The same password: the session holds.
        Assert.NotNull(await ValidateAsync(before, session));

        // The dashboard restarted with a new password: the old session's cookie is refused (and removed).
        await using var after = Dashboard("the-new-password");
        Assert.Null(await ValidateAsync(after, session));

        // A session opened with the new password holds.
        Assert.NotNull(await ValidateAsync(after, after.Services.GetRequiredService<OperatorSession>().CreatePrincipal()));
    }

    [Fact]
    public async Task ACookieWithoutAPasswordStampIsRefused()
    {
        await using var dashboard = Dashboard("the-password-1");
        var unstamped = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, "operator")], CookieAuthenticationDefaults.AuthenticationScheme));
        Assert.Null(await ValidateAsync(dashboard, unstamped));
    }

    [Fact]
    public async Task TheSessionCookieIsSecureOverHttpsAndStillWorksOverPlainHttp()
    {
        await using var dashboard = Dashboard("the-password-1");
        var cookie = CookieOptions(dashboard).Cookie;

        Assert.True(cookie.Build(Request(dashboard, "https")).Secure);
        Assert.False(cookie.Build(Request(dashboard, "http")).Secure);
        Assert.True(cookie.Build(Request(dashboard, "https")).HttpOnly);
        Assert.Equal(SameSiteMode.Strict, cookie.Build(Request(dashboard, "https")).SameSite);
    }

    /// <summary>The dashboard's sign-in services as Program.cs registers them, with the given password.</summary>
    private static WebApplication Dashboard(string password)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mnemora:DashboardPassword"] = password,
            ["Mnemora:OperatorKey"] = OperatorKey,
        });
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName);
        builder.AddOperatorSignIn();
        return builder.Build();
    }

    private static CookieAuthenticationOptions CookieOptions(WebApplication dashboard) =>
        dashboard.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);

    private static DefaultHttpContext Request(WebApplication dashboard, string scheme)
    {
        var context = new DefaultHttpContext { RequestServices = dashboard.Services };
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString("localhost");
        return context;
    }

    /// <summary>Runs the cookie handler's per-request check on a session; the principal that survives it, or null.</summary>
    private static async Task<System.Security.Claims.ClaimsPrincipal?> ValidateAsync(WebApplication dashboard, System.Security.Claims.ClaimsPrincipal principal)
    {
        var options = CookieOptions(dashboard);
        var scheme = new AuthenticationScheme(CookieAuthenticationDefaults.AuthenticationScheme, null, typeof(CookieAuthenticationHandler));
        var context = new CookieValidatePrincipalContext(Request(dashboard, "http"), scheme, options,
            new AuthenticationTicket(principal, CookieAuthenticationDefaults.AuthenticationScheme));
        await options.Events.ValidatePrincipal(context);
        return context.Principal;
    }
}
