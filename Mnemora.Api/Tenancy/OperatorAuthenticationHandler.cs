using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// Authenticates the operator by the configured operator key, compared in constant time. Wrong keys
/// are throttled per client by the <see cref="KeyGuard"/>: past its budget every attempt is a 429.
/// </summary>
internal sealed class OperatorAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<TenancyOptions> tenancy,
    KeyGuard guard) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = AuthenticationProblems.BearerToken(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (!await guard.MayTryOperatorKeyAsync(Context))
        {
            return AuthenticateResult.Fail("Too many wrong operator keys from this client.");
        }

        if (!IsOperatorKey(token))
        {
            // A tenant key is the tenant scheme's (its guessing is the key guard's, and a valid one is forbidden);
            // anything else is a guess at the operator key.
            if (!ApiKeys.IsWellFormed(token) && !await guard.ChargeWrongOperatorKeyAsync(Context))
            {
                return AuthenticateResult.Fail("Too many wrong operator keys from this client.");
            }

            return AuthenticateResult.NoResult();
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Role, TenancyAuthentication.OperatorRole)], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AuthenticationProblems.ChallengeAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthenticationProblems.ForbidAsync(Context);

    // Hashing both sides first makes the comparison constant-time in the length as well.
    private bool IsOperatorKey(string token) => CryptographicOperations.FixedTimeEquals(
        SHA256.HashData(Encoding.UTF8.GetBytes(token)),
        SHA256.HashData(Encoding.UTF8.GetBytes(tenancy.Value.OperatorKey)));
}
