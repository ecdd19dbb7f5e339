using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Mnemora.Dashboard.Account;

public static class AccountEndpoints
{
    public const string SignInPath = "/signin";
    public const string SignOutPath = "/signout";

    /// <summary>Sign-out is a POST with an antiforgery token, so no other site can sign the operator out.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Cast: a handler taking only HttpContext would otherwise bind as a RequestDelegate and drop the result.
        app.MapPost(SignOutPath, (Delegate)SignOut).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }

    public static async Task<RedirectHttpResult> SignOut(HttpContext context)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.LocalRedirect(SignInPath);
    }

    /// <summary>A return URL is followed only when it stays on this site.</summary>
    public static string LocalReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl[0] == '/' && (returnUrl.Length == 1 || (returnUrl[1] != '/' && returnUrl[1] != '\\'))
            ? returnUrl
            : "/";
}
