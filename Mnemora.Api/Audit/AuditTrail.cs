using Mnemora.Api.Tenancy;
using Mnemora.Storage.Audit;

namespace Mnemora.Api.Audit;

/// <summary>
/// Records audit events for the current request: the actor is the operator on <c>/admin/v1</c>, else the id of the
/// tenant's key; the request id is the one in the response's <c>meta</c>. Details are ids and counts only.
/// </summary>
public sealed partial class AuditTrail(AuditLog log, IHttpContextAccessor http, ILogger<AuditTrail> logger)
{
    public const string OperatorActor = "operator";
    public const string Succeeded = "success";
    public const string Failed = "failure";

    public async Task RecordAsync(string? tenantId, string action, string outcome, IReadOnlyDictionary<string, string>? details, CancellationToken cancellationToken)
    {
        var context = http.HttpContext;
        var actor = context?.User.FindFirst(TenancyAuthentication.KeyClaim)?.Value is { Length: > 0 } keyId ? $"key:{keyId}" : OperatorActor;
        try
        {
            // Recorded even when the caller goes away: the action it reports has happened.
            await log.AppendAsync(tenantId, action, actor, context?.TraceIdentifier ?? "-", outcome, details, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The action is done and cannot be undone; a lost event is logged loudly rather than failing the request.
            LogAuditWriteFailed(logger, action, tenantId, exception);
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "Could not write the audit event {Action} of tenant {TenantId}")]
    private static partial void LogAuditWriteFailed(ILogger logger, string action, string? tenantId, Exception exception);
}
