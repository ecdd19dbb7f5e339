using System.Net;

namespace Mnemora.Client;

/// <summary>
/// An error answer of the Mnemora API (its <c>application/problem+json</c> envelope), or an answer
/// that was not the contract's. Specific subclasses exist for the codes a caller usually handles.
/// </summary>
public class MnemoraException : Exception
{
    /// <summary>Creates an exception for an error answer.</summary>
    /// <param name="status">The HTTP status code of the answer.</param>
    /// <param name="code">The contract's error code, e.g. <c>NOT_FOUND</c>.</param>
    /// <param name="message">The server's message (<c>error.message</c>), safe to show.</param>
    /// <param name="requestId">The server's request id (<c>meta.request_id</c>), for support; null when absent.</param>
    public MnemoraException(HttpStatusCode status, string code, string message, string? requestId)
        : base(message)
    {
        Status = status;
        Code = code;
        RequestId = requestId;
    }

    /// <summary>The HTTP status code of the answer.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The contract's error code (<see cref="MnemoraErrorCodes"/>), e.g. <c>VALIDATION_ERROR</c>.</summary>
    public string Code { get; }

    /// <summary>The server's id for the request (<c>meta.request_id</c>), to quote when asking for support; null when absent.</summary>
    public string? RequestId { get; }
}

/// <summary><c>401 UNAUTHORIZED</c>: the API key is missing, malformed, unknown or revoked.</summary>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class AuthenticationException(string message, string? requestId)
    : MnemoraException(HttpStatusCode.Unauthorized, MnemoraErrorCodes.Unauthorized, message, requestId);

/// <summary><c>403 FORBIDDEN</c>: the key is valid but may not use this route (e.g. a tenant key on <c>/admin/v1</c>).</summary>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class PermissionDeniedException(string message, string? requestId)
    : MnemoraException(HttpStatusCode.Forbidden, MnemoraErrorCodes.Forbidden, message, requestId);

/// <summary><c>404 NOT_FOUND</c>: no such record for this tenant (another tenant's record looks exactly the same).</summary>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class NotFoundException(string message, string? requestId)
    : MnemoraException(HttpStatusCode.NotFound, MnemoraErrorCodes.NotFound, message, requestId);

/// <summary><c>409 CONFLICT</c>: e.g. a state update with a stale version, or a tenant id already taken.</summary>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class ConflictException(string message, string? requestId)
    : MnemoraException(HttpStatusCode.Conflict, MnemoraErrorCodes.Conflict, message, requestId);

/// <summary><c>400 VALIDATION_ERROR</c>: the request breaks the contract (an identifier with <c>/</c>, a missing field, a value out of range).</summary>
/// <param name="message">The server's message, naming the field.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class ValidationException(string message, string? requestId)
    : MnemoraException(HttpStatusCode.BadRequest, MnemoraErrorCodes.Validation, message, requestId);

/// <summary><c>413 PAYLOAD_TOO_LARGE</c>: a body or field is over its size limit (e.g. state data over 400 KB).</summary>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class PayloadTooLargeException(string message, string? requestId)
    : MnemoraException(HttpStatusCode.RequestEntityTooLarge, MnemoraErrorCodes.PayloadTooLarge, message, requestId);

/// <summary>
/// <c>429 RATE_LIMITED</c>: the tenant's daily call limit is reached. The client retries a 429 by
/// itself only when its <c>Retry-After</c> is within <see cref="MnemoraRetryOptions.MaxRetryAfter"/>;
/// this exception means it did not (or ran out of attempts).
/// </summary>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
/// <param name="retryAfter">How long until calls are allowed again (the <c>Retry-After</c> header); null when absent.</param>
public sealed class RateLimitedException(string message, string? requestId, TimeSpan? retryAfter)
    : MnemoraException(HttpStatusCode.TooManyRequests, MnemoraErrorCodes.RateLimited, message, requestId)
{
    /// <summary>How long until calls are allowed again (the <c>Retry-After</c> header; for the daily limit, the time to 00:00 UTC); null when absent.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// A tier limit other than calls: <c>VECTOR_LIMIT_EXCEEDED</c> (429, the tier's stored vectors) or
/// <c>STORAGE_LIMIT_EXCEEDED</c> (413, the tier's bytes). Retrying does not help; deleting or upgrading does.
/// </summary>
/// <param name="status">The HTTP status code of the answer.</param>
/// <param name="code">Which limit: <see cref="MnemoraErrorCodes.VectorLimitExceeded"/> or <see cref="MnemoraErrorCodes.StorageLimitExceeded"/>.</param>
/// <param name="message">The server's message.</param>
/// <param name="requestId">The server's request id.</param>
public sealed class LimitExceededException(HttpStatusCode status, string code, string message, string? requestId)
    : MnemoraException(status, code, message, requestId);

/// <summary>
/// <c>503 SERVICE_UNAVAILABLE</c>: a store the request needs is down. The client has already
/// retried (honouring <c>Retry-After</c>); this exception means every attempt failed.
/// </summary>
/// <param name="message">The server's message, naming what is unavailable.</param>
/// <param name="requestId">The server's request id.</param>
/// <param name="retryAfter">The server's <c>Retry-After</c>, when it gave one.</param>
public sealed class ServiceUnavailableException(string message, string? requestId, TimeSpan? retryAfter)
    : MnemoraException(HttpStatusCode.ServiceUnavailable, MnemoraErrorCodes.ServiceUnavailable, message, requestId)
{
    /// <summary>The server's <c>Retry-After</c>, when it gave one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The error codes of the Mnemora v1 contract (<see cref="MnemoraException.Code"/>).</summary>
public static class MnemoraErrorCodes
{
    /// <summary>400: the request breaks the contract.</summary>
    public const string Validation = "VALIDATION_ERROR";

    /// <summary>401: no valid API key.</summary>
    public const string Unauthorized = "UNAUTHORIZED";

    /// <summary>403: the key may not use this route.</summary>
    public const string Forbidden = "FORBIDDEN";

    /// <summary>404: no such record for this tenant.</summary>
    public const string NotFound = "NOT_FOUND";

    /// <summary>409: a version or id conflict.</summary>
    public const string Conflict = "CONFLICT";

    /// <summary>413: a body or field over its size limit.</summary>
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";

    /// <summary>429: the daily call limit is reached.</summary>
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>429: the tier's vector limit is reached.</summary>
    public const string VectorLimitExceeded = "VECTOR_LIMIT_EXCEEDED";

    /// <summary>413: the tier's storage limit is reached.</summary>
    public const string StorageLimitExceeded = "STORAGE_LIMIT_EXCEEDED";

    /// <summary>503: a store is unavailable.</summary>
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    /// <summary>500: an unexpected server error (never with details).</summary>
    public const string Internal = "INTERNAL_ERROR";
}
