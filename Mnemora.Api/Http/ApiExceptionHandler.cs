using System.Net.Sockets;
using Amazon.Runtime;
using Mnemora.Storage;
using Npgsql;

namespace Mnemora.Api.Http;

/// <summary>
/// The one place where exceptions become responses. A store that cannot be reached is a 503;
/// a request the framework could not read is a 4xx; anything else is a 500 without detail.
/// </summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger, TimeProvider time) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
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
        if (exception is StorageLimitException { Limit: StorageLimit.EmbeddingsPerMonth })
        {
            // The allowance renews with the UTC month.
            var now = time.GetUtcNow();
            var nextMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
            httpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling((nextMonth - now).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (exception is TenantBusyException busy)
        {
            httpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(busy.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await problem.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>The contract's problem for a failure; also used by the MCP tools, whose errors carry the same codes.</summary>
    internal static ApiProblem Classify(Exception exception, CancellationToken requestAborted) => exception switch
    {
        ApiException api => new ApiProblem(api.Status, api.Code, api.Message),
        // A cap a store refused to pass: the contract's limit codes (nothing of the write stayed).
        StorageLimitException { Limit: StorageLimit.Vectors } limit =>
            new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.VectorLimitExceeded, limit.Message),
        StorageLimitException { Limit: StorageLimit.EmbeddingsPerMonth } limit =>
            new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, limit.Message),
        StorageLimitException limit =>
            new ApiProblem(StatusCodes.Status413PayloadTooLarge, ErrorCodes.StorageLimitExceeded, limit.Message),
        // The tenant's share of a pool every tenant shares is in use by its own calls: it slows down, nobody else.
        TenantBusyException busy =>
            new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, busy.Message),
        // Data that fails its own checksum is never served: a store fault, logged as an incident where it was found.
        StoreIntegrityException =>
            ApiProblem.Unavailable("A storage backend this request needs returned damaged data. Retry later."),
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
        // A store's connection broken in the middle of its answer (HttpIOException "the response ended
        // prematurely" while an SDK reads the body). Request bodies fail as BadHttpRequestException, above.
        IOException => true,
        // A store call's own timeout (the SDKs' per-attempt limits), not the client going away.
        OperationCanceledException when !requestAborted.IsCancellationRequested => true,
        // Wrapped by a library on its way up: judged by its cause.
        { InnerException: { } inner } => IsStoreUnavailable(inner, requestAborted),
        _ => false,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Request failed with {Code}: {Method} {Path}")]
    private partial void LogFailure(Exception exception, string code, string method, PathString path);
}
