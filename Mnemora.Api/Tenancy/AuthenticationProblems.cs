using Mnemora.Api.Http;

namespace Mnemora.Api.Tenancy;

/// <summary>Writes 401 and 403 in the contract's error envelope, once per request however many schemes challenge.</summary>
internal static class AuthenticationProblems
{
    private static readonly object s_written = new();

    public static Task ChallengeAsync(HttpContext context)
    {
        if (!TryClaim(context))
        {
            return Task.CompletedTask;
        }

        if (KeyGuard.TryWriteRefusal(context, out var refused))
        {
            return refused;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return new ApiProblem(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
            "A valid API key is required: send 'Authorization: Bearer <key>'.").ExecuteAsync(context);
    }

    public static Task ForbidAsync(HttpContext context) =>
        TryClaim(context)
            ? new ApiProblem(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "This key may not use this route.").ExecuteAsync(context)
            : Task.CompletedTask;

    private static bool TryClaim(HttpContext context)
    {
        if (context.Response.HasStarted || context.Items.ContainsKey(s_written))
        {
            return false;
        }

        context.Items[s_written] = true;
        return true;
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header; null when there is none or it is not exactly one Bearer value.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } header)
        {
            return null;
        }

        const string Bearer = "Bearer ";
        return header.Length > Bearer.Length && header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)
            ? header[Bearer.Length..].Trim()
            : null;
    }
}
