namespace Mnemora.Api.Http;

/// <summary>
/// Gives every problem response, whoever produced it (a handler, validation, the exception
/// handler, an unmatched route), the contract's <c>error</c> and <c>meta</c> members.
/// </summary>
internal static class ProblemEnvelope
{
    private static readonly object s_codeKey = new();

    public static void SetCode(HttpContext context, string code) => context.Items[s_codeKey] = code;

    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Status = status;
        problem.Type ??= $"https://httpstatuses.io/{status}";
        var code = context.HttpContext.Items[s_codeKey] as string ?? ErrorCodes.ForStatus(status);
        problem.Title = TitleFor(code);
        problem.Detail ??= DefaultDetail(status);
        // Exception details never go on the wire; the trace id stays, for support.
        problem.Extensions.Remove("exception");
        problem.Instance = null;
        problem.Extensions["error"] = new ApiErrorBody(code, problem.Detail);
        problem.Extensions["meta"] = ApiMeta.For(context.HttpContext);
    }

    private static string TitleFor(string code) => code switch
    {
        ErrorCodes.Validation => "Validation error",
        ErrorCodes.Unauthorized => "Unauthorized",
        ErrorCodes.Forbidden => "Forbidden",
        ErrorCodes.NotFound => "Not found",
        ErrorCodes.Conflict => "Conflict",
        ErrorCodes.PayloadTooLarge => "Payload too large",
        ErrorCodes.RateLimited => "Rate limited",
        ErrorCodes.VectorLimitExceeded => "Vector limit exceeded",
        ErrorCodes.StorageLimitExceeded => "Storage limit exceeded",
        ErrorCodes.ServiceUnavailable => "Service unavailable",
        _ => "Internal error",
    };

    private static string DefaultDetail(int status) => status switch
    {
        StatusCodes.Status404NotFound => "The resource does not exist.",
        StatusCodes.Status405MethodNotAllowed => "The resource does not exist.",
        StatusCodes.Status401Unauthorized => "A valid API key is required.",
        StatusCodes.Status500InternalServerError => "An unexpected error occurred.",
        _ => "The request could not be processed.",
    };
}

/// <summary>The contract's <c>error</c> member.</summary>
public sealed record ApiErrorBody(string Code, string Message);
