using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// Authenticates a tenant by its API key: Bearer key → hash → live key → tenant and tier, which
/// fill the request's <see cref="TenantContext"/>. A value without a key's shape is refused
/// before any lookup; a key the resolver has not cached is looked up only if the
/// <see cref="KeyGuard"/> lets its client spend a lookup.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyResolver resolver,
    KeyGuard guard) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = AuthenticationProblems.BearerToken(Request);
        if (token is null)
        {
            return Request.Headers.Authorization.Count == 0 ? AuthenticateResult.NoResult() : AuthenticateResult.Fail("Malformed Authorization header.");
        }

        if (!ApiKeys.IsWellFormed(token))
        {
            return AuthenticateResult.Fail("Not an API key.");
        }

        var keyHash = ApiKeys.Hash(token);
        if (await resolver.TryResolveAsync(keyHash, () => guard.TryBeginLookupAsync(Context, keyHash)) is not { } lookup)
        {
            return AuthenticateResult.Fail("Too many unknown keys from this client.");
        }

        var owner = await lookup.WaitAsync(Context.RequestAborted);
        if (owner is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        guard.MarkValid(keyHash);

        Context.RequestServices.GetRequiredService<TenantContext>().Set(owner.TenantId, owner.Tier);
        var identity = new ClaimsIdentity(
            [new Claim(TenancyAuthentication.TenantClaim, owner.TenantId), new Claim(TenancyAuthentication.KeyClaim, owner.KeyId), new Claim(ClaimTypes.Role, TenancyAuthentication.TenantRole)],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => AuthenticationProblems.ChallengeAsync(Context);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthenticationProblems.ForbidAsync(Context);
}
