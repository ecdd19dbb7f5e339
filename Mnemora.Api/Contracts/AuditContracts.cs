using Mnemora.Api.Http;
using Mnemora.Storage.Audit;

namespace Mnemora.Api.Contracts;

/// <summary>An audit event on the wire: ids, counts and outcomes only.</summary>
public sealed record AuditEventResponse(
    string Id, DateTime At, string? TenantId, string Action, string Actor, string RequestId, string Outcome, IReadOnlyDictionary<string, string> Details)
{
    public static AuditEventResponse From(AuditEvent e) => new(e.Id, e.At, e.TenantId, e.Action, e.Actor, e.RequestId, e.Outcome, e.Details);
}

/// <summary><c>GET /admin/v1/audit</c> and <c>GET /admin/v1/tenants/{tenant_id}/audit</c>: newest first.</summary>
public sealed record AuditListResponse(IReadOnlyList<AuditEventResponse> Events, string? NextCursor)
{
    public static AuditListResponse From(AuditPage page) => new([.. page.Events.Select(AuditEventResponse.From)], page.NextCursor);
}

/// <summary>
/// <c>POST /admin/v1/audit/sign-ins</c>: the dashboard reports an operator's sign-in attempt (it holds the operator
/// key; the person signing in does not). <see cref="Outcome"/> is <c>success</c> or <c>failure</c>.
/// </summary>
public sealed record SignInReport([DisplayText(64)] string? Outcome, [DisplayText(RequestLimits.MaxNameLength, Optional = true)] string? Client);
