using System.Text.Json.Serialization;

namespace Mnemora.Client;

/// <summary>A tenant's tier, which sets its daily calls, vectors, storage and embeddings; <see cref="MnemoraOperatorClient.ListTiersAsync"/> reads the limits the server enforces.</summary>
public enum TenantTier
{
    /// <summary>The free tier (<c>free</c>).</summary>
    [JsonStringEnumMemberName("free")]
    Free,

    /// <summary>The starter tier (<c>starter</c>).</summary>
    [JsonStringEnumMemberName("starter")]
    Starter,

    /// <summary>The pro tier (<c>pro</c>).</summary>
    [JsonStringEnumMemberName("pro")]
    Pro,

    /// <summary>The scale tier (<c>scale</c>).</summary>
    [JsonStringEnumMemberName("scale")]
    Scale,
}

/// <summary>A tenant: one customer of the platform, whose keys and memories are isolated from every other's.</summary>
/// <param name="TenantId">The tenant's id.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Tier">Its tier.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="DeletedAt">When it was deleted (UTC); null while it exists.</param>
/// <param name="RetentionDays">Days its episodes are kept; null: for ever.</param>
public sealed record Tenant(string TenantId, string Name, TenantTier Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt, int? RetentionDays = null);

/// <summary>A tenant in the operator's list, with today's calls.</summary>
/// <param name="TenantId">The tenant's id.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Tier">Its tier.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="DeletedAt">When it was deleted (UTC); null while it exists.</param>
/// <param name="ApiCallsToday">Calls counted today (UTC).</param>
/// <param name="DailyLimit">The tier's calls per UTC day.</param>
public sealed record TenantSummary(string TenantId, string Name, TenantTier Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt, long ApiCallsToday, long DailyLimit);

/// <summary>A tenant with its usage.</summary>
/// <param name="TenantId">The tenant's id.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Tier">Its tier.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="DeletedAt">When it was deleted (UTC); null while it exists.</param>
/// <param name="Usage">Its usage, as <c>GET /v1/usage</c> reports it to the tenant.</param>
public sealed record TenantDetails(string TenantId, string Name, TenantTier Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt, Usage Usage);

/// <summary>What deleting a tenant did.</summary>
/// <param name="TenantId">The deleted tenant.</param>
/// <param name="KeysRevoked">Keys revoked.</param>
/// <param name="Deleted">Records purged per store.</param>
public sealed record TenantDeletion(string TenantId, int KeysRevoked, PurgeCounts Deleted);

/// <summary>A newly issued API key. <see cref="ApiKey"/> is the only copy of the plaintext: the server keeps its SHA-256 hash.</summary>
/// <param name="KeyId">The key's id, for revoking it.</param>
/// <param name="ApiKey">The key itself (<c>mnm_…</c>): give it to the customer, then forget it.</param>
/// <param name="Prefix">The key's first characters, to recognise it in lists.</param>
/// <param name="Name">The name it was issued with.</param>
/// <param name="CreatedAt">When it was issued (UTC).</param>
public sealed record IssuedApiKey(string KeyId, string ApiKey, string Prefix, string? Name, DateTimeOffset CreatedAt);

/// <summary>An API key as the operator sees it later: never its plaintext.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="Prefix">The key's first characters.</param>
/// <param name="Name">The name it was issued with.</param>
/// <param name="CreatedAt">When it was issued (UTC).</param>
/// <param name="LastUsedAt">When it last authenticated a call (UTC), if ever.</param>
/// <param name="RevokedAt">When it was revoked (UTC); null while it works.</param>
public sealed record ApiKeyInfo(string KeyId, string Prefix, string? Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A tier's limits as the server enforces them (<c>GET /admin/v1/tiers</c>).</summary>
/// <param name="Tier">The tier.</param>
/// <param name="DailyCalls">API calls per UTC day.</param>
/// <param name="Vectors">Semantic memories stored.</param>
/// <param name="StorageBytes">Bytes in all stores (decimal: 50 MB is 50,000,000 bytes).</param>
/// <param name="EmbeddingsPerMonth">Embeddings per billing period.</param>
public sealed record TierLimits(TenantTier Tier, long DailyCalls, long Vectors, long StorageBytes, long EmbeddingsPerMonth);

/// <summary>An agent of a tenant with its live records per memory type, as the operator sees it.</summary>
/// <param name="AgentId">The agent's id.</param>
/// <param name="State">State records.</param>
/// <param name="Semantic">Semantic memories.</param>
/// <param name="Episodic">Episodes, hot and cold.</param>
public sealed record AgentSummary(string AgentId, long State, long Semantic, long Episodic);

/// <summary>What the operator's purge of one agent deleted.</summary>
/// <param name="AgentId">The purged agent.</param>
/// <param name="Deleted">Records deleted per store.</param>
public sealed record AgentDeletion(string AgentId, PurgeCounts Deleted);

/// <summary>A tenant's API calls on one UTC day.</summary>
/// <param name="Date">The day (UTC).</param>
/// <param name="ApiCalls">Calls counted that day.</param>
public sealed record DailyCalls(DateOnly Date, long ApiCalls);

internal sealed record TierList(IReadOnlyList<TierLimits> Tiers);

internal sealed record AgentList(IReadOnlyList<AgentSummary> Agents);

internal sealed record DailyUsage(IReadOnlyList<DailyCalls> Days);

internal sealed record CreateTenantRequest(string TenantId, string? Name, TenantTier? Tier);

internal sealed record UpdateTenantRequest(string? Name, TenantTier? Tier);

/// <summary>Sent with <c>retention_days</c> always present: null there means "keep for ever".</summary>
internal sealed record RetentionRequest([property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] int? RetentionDays);

internal sealed record AuditList(IReadOnlyList<AuditEvent> Events, string? NextCursor);

internal sealed record SignInReport(string Outcome, string? Client);

/// <summary>One event of the audit trail: who did what to which tenant, and how it went; never memory content or a key.</summary>
/// <param name="Id">The event's id.</param>
/// <param name="At">When it happened (UTC).</param>
/// <param name="TenantId">The tenant it concerns; null for an operator's sign-in.</param>
/// <param name="Action">What happened, e.g. <c>key.issued</c>, <c>tenant.tier_changed</c>, <c>operator.sign_in</c>.</param>
/// <param name="Actor"><c>operator</c>, or <c>key:{key_id}</c> for a tenant's key.</param>
/// <param name="RequestId">The request's id (the <c>meta.request_id</c> its caller saw).</param>
/// <param name="Outcome"><c>success</c> or <c>failure</c>.</param>
/// <param name="Details">Ids and counts that say more (a key id, the old and new tier).</param>
public sealed record AuditEvent(string Id, DateTimeOffset At, string? TenantId, string Action, string Actor, string RequestId, string Outcome, IReadOnlyDictionary<string, string> Details);

/// <summary>A page of the audit trail, newest first.</summary>
/// <param name="Events">The events of this page.</param>
/// <param name="NextCursor">Pass it back for the next page; null on the last.</param>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, string? NextCursor);

internal sealed record IssueKeyRequest(string? Name);

internal sealed record TenantList(IReadOnlyList<TenantSummary> Tenants);

internal sealed record KeyList(IReadOnlyList<ApiKeyInfo> Keys);
