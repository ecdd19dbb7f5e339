using System.Text.Json;
using Mnemora.Api.Http;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Contracts;

/// <summary><c>POST /admin/v1/tenants</c>; the name defaults to the id, the tier to free.</summary>
public sealed record CreateTenantRequest(
    [TenantIdentifier] string? TenantId,
    [DisplayText(RequestLimits.MaxNameLength, Optional = true)] string? Name,
    string? Tier);

/// <summary>
/// <c>PATCH /admin/v1/tenants/{tenant_id}</c>: at least one member. <see cref="RetentionDays"/> tells absent (left as
/// is) from <c>null</c> (keep episodes for ever), so it is read as a JSON value.
/// </summary>
public sealed record UpdateTenantRequest(
    [DisplayText(RequestLimits.MaxNameLength, Optional = true)] string? Name,
    string? Tier,
    JsonElement RetentionDays)
{
    public const int MaxRetentionDays = 36_500;

    public bool HasRetention => RetentionDays.ValueKind != JsonValueKind.Undefined;
}

/// <summary><c>POST /admin/v1/tenants/{tenant_id}/keys</c>.</summary>
public sealed record IssueKeyRequest([DisplayText(RequestLimits.MaxNameLength, Optional = true)] string? Name);

public sealed record TenantResponse(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt, int? RetentionDays)
{
    internal static TenantResponse From(TenantRecord tenant) => new(tenant.TenantId, tenant.Name, tenant.Tier, tenant.CreatedAt, tenant.DeletedAt, tenant.RetentionDays);
}

public sealed record TenantSummary(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt, long ApiCallsToday, long DailyLimit);

public sealed record TenantListResponse(IReadOnlyList<TenantSummary> Tenants);

public sealed record TenantDetails(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt, UsageResponse Usage);

public sealed record TenantDeletedResponse(string TenantId, int KeysRevoked, TenantPurgeCounts Deleted);

public sealed record IssuedKeyResponse(string KeyId, string ApiKey, string Prefix, string? Name, DateTime CreatedAt);

public sealed record KeyResponse(string KeyId, string Prefix, string? Name, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt);

public sealed record KeyListResponse(IReadOnlyList<KeyResponse> Keys);

public sealed record DailyCallsResponse(string Date, long ApiCalls);

public sealed record DailyUsageResponse(IReadOnlyList<DailyCallsResponse> Days);

/// <summary><c>GET /v1/usage</c>, and a tenant's usage in the operator API.</summary>
public sealed record UsageResponse(
    long ApiCallsToday,
    long DailyLimit,
    long ApiCallsMonth,
    long EmbeddingsGeneratedMonth,
    long VectorsStored,
    long StorageBytes,
    StorageUsage Storage,
    long AgentsCount,
    long SessionsCount,
    string BillingPeriod,
    string Tier,
    long VectorLimit,
    long StorageLimitBytes,
    long EmbeddingsLimitMonth)
{
    internal static UsageResponse From(TenantUsage usage, TierLimits limits) => new(
        ApiCallsToday: usage.CallsToday,
        DailyLimit: limits.CallsPerDay,
        ApiCallsMonth: usage.CallsMonth,
        EmbeddingsGeneratedMonth: usage.Totals.EmbeddingsGeneratedThisMonth,
        VectorsStored: usage.Totals.Vectors,
        StorageBytes: usage.Totals.StorageBytes,
        Storage: new StorageUsage(usage.Totals.DynamoBytes, usage.Totals.S3Bytes, usage.Totals.PostgresBytes),
        AgentsCount: usage.Totals.Agents,
        SessionsCount: usage.Totals.Sessions,
        BillingPeriod: usage.BillingPeriod,
        Tier: TenantTiers.Name(usage.Tier),
        VectorLimit: limits.Vectors,
        StorageLimitBytes: limits.StorageBytes,
        EmbeddingsLimitMonth: limits.EmbeddingsPerMonth);
}

public sealed record StorageUsage(long DynamoBytes, long S3Bytes, long PostgresBytes);
