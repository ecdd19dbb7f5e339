using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Mnemora.Api.Http;

/// <summary>
/// An error in the contract's envelope: RFC 9457 problem details plus <c>error {code, message}</c>
/// and <c>meta</c> (added for every problem in <see cref="ProblemEnvelope"/>).
/// </summary>
public sealed class ApiProblem(int status, string code, string message) : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public int StatusCode { get; } = status;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string Code { get; } = code;

    public string Message { get; } = message;

    /// <summary>Extra members for the problem body (e.g. which stores are down).</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    public static ApiProblem Validation(string message) => new(StatusCodes.Status400BadRequest, ErrorCodes.Validation, message);

    public static ApiProblem NotFound(string message) => new(StatusCodes.Status404NotFound, ErrorCodes.NotFound, message);

    public static ApiProblem Conflict(string message) => new(StatusCodes.Status409Conflict, ErrorCodes.Conflict, message);

    public static ApiProblem Unavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, ErrorCodes.ServiceUnavailable, message);

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCode;
        ProblemEnvelope.SetCode(httpContext, Code);
        var problem = new ProblemDetails { Status = StatusCode, Detail = Message };
        foreach (var (key, value) in Extensions)
        {
            problem.Extensions[key] = value;
        }

        return httpContext.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem })
            .AsTask();
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        foreach (var status in (int[])[400, 401, 404, 409, 413, 429, 503])
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
        }
    }
}
