using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mnemora.Api.Tenancy;

/// <summary>Authenticates the operator by the configured operator key, compared in constant time.</summary>
internal sealed class OperatorAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<TenancyOptions> tenancy) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = AuthenticationProblems.BearerToken(Request);
        if (token is null || !IsOperatorKey(token))
        {
            // Not this scheme's key; the tenant scheme may still recognise it (and be forbidden).
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, TenancyAuthentication.OperatorRole)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AuthenticationProblems.ChallengeAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthenticationProblems.ForbidAsync(Context);

    // Hashing both sides first makes the comparison constant-time in the length as well.
    private bool IsOperatorKey(string token) => CryptographicOperations.FixedTimeEquals(
        SHA256.HashData(Encoding.UTF8.GetBytes(token)),
        SHA256.HashData(Encoding.UTF8.GetBytes(tenancy.Value.OperatorKey)));
}
