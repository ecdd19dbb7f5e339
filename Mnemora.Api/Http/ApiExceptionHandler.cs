using System.Net.Sockets;
using Amazon.Runtime;
using Npgsql;

namespace Mnemora.Api.Http;

/// <summary>
/// The one place where exceptions become responses. A store that cannot be reached is a 503;
/// a request the framework could not read is a 4xx; anything else is a 500 without detail.
/// </summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Classify(exception, httpContext.RequestAborted);
        if (problem.StatusCode >= 500)
        {
            LogFailure(exception, problem.Code, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.Clear();
        await problem.ExecuteAsync(httpContext);
        return true;
    }

    private static ApiProblem Classify(Exception exception, CancellationToken requestAborted) => exception switch
    {
        ApiException api => new ApiProblem(api.Status, api.Code, api.Message),
        BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "The request body is too large."),
        BadHttpRequestException bad =>
            new ApiProblem(bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400, ErrorCodes.Validation, "The request body is not valid JSON for this route."),
        _ when IsStoreUnavailable(exception, requestAborted) =>
            ApiProblem.Unavailable("A storage backend this request needs is unavailable. Retry later."),
        _ => new ApiProblem(StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "An unexpected error occurred."),
    };

    /// <summary>True when the failure is a store being down or slow, not a bug: such requests may be retried.</summary>
    internal static bool IsStoreUnavailable(Exception exception, CancellationToken requestAborted) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsStoreUnavailable(e, requestAborted)),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        // An answer cut short by a store going down cannot be read: a store fault, not a bug.
        AmazonUnmarshallingException => true,
        AmazonServiceException aws => aws.StatusCode >= System.Net.HttpStatusCode.InternalServerError
            || aws.ErrorCode is "ResourceNotFoundException" or "NoSuchBucket"
            || (aws.InnerException is { } cause && IsStoreUnavailable(cause, requestAborted)),
        AmazonClientException => true,
        HttpRequestException or SocketException or TimeoutException => true,
        // A store call's own timeout (the SDKs' per-attempt limits), not the client going away.
        OperationCanceledException when !requestAborted.IsCancellationRequested => true,
        // Wrapped by a library on its way up: judged by its cause.
        { InnerException: { } inner } => IsStoreUnavailable(inner, requestAborted),
        _ => false,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Request failed with {Code}: {Method} {Path}")]
    private partial void LogFailure(Exception exception, string code, string method, PathString path);
}
