using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Mnemora.Dashboard.Account;

/// <summary>
/// The operator's signed-in session: a cookie stamped with a digest of the password it was opened
/// with, so that changing <c>Mnemora:DashboardPassword</c> ends every session opened before.
/// </summary>
public sealed class OperatorSession(IOptions<DashboardOptions> options)
{
    public const string StampClaim = "mnemora:password-stamp";

    // Keyed by the password over a fixed label: the cookie carries no digest of the password alone.
    private readonly string _stamp = Convert.ToBase64String(
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Value.DashboardPassword), "mnemora-dashboard-session"u8));

    /// <summary>The principal a successful sign-in puts in the cookie.</summary>
    public ClaimsPrincipal CreatePrincipal() => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "operator"), new Claim(StampClaim, _stamp)],
        CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>True when the principal was signed in with the current password.</summary>
    public bool IsCurrent(ClaimsPrincipal? principal) =>
        principal?.FindFirst(StampClaim)?.Value is { } stamp
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(_stamp));

    /// <summary>The cookie handler's check on every request: a session of an older password is rejected and its cookie removed.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var session = context.HttpContext.RequestServices.GetRequiredService<OperatorSession>();
        if (!session.IsCurrent(context.Principal))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}
