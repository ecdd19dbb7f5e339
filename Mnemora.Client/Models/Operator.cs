using System.Text.Json.Serialization;

namespace Mnemora.Client;

/// <summary>A tenant's tier, which sets its daily calls, vectors and storage.</summary>
public enum TenantTier
{
    /// <summary>500 calls a day, 5,000 vectors, 50 MB (<c>free</c>).</summary>
    [JsonStringEnumMemberName("free")]
    Free,

    /// <summary>5,000 calls a day, 50,000 vectors, 500 MB (<c>starter</c>).</summary>
    [JsonStringEnumMemberName("starter")]
    Starter,

    /// <summary>25,000 calls a day, 250,000 vectors, 5 GB (<c>pro</c>).</summary>
    [JsonStringEnumMemberName("pro")]
    Pro,

    /// <summary>50,000 calls a day, 500,000 vectors, 10 GB (<c>scale</c>).</summary>
    [JsonStringEnumMemberName("scale")]
    Scale,
}

/// <summary>A tenant: one customer of the platform, whose keys and memories are isolated from every other's.</summary>
/// <param name="TenantId">The tenant's id.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Tier">Its tier.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="DeletedAt">When it was deleted (UTC); null while it exists.</param>
public sealed record Tenant(string TenantId, string Name, TenantTier Tier, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt);

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

internal sealed record CreateTenantRequest(string TenantId, string? Name, TenantTier? Tier);

internal sealed record UpdateTenantRequest(string? Name, TenantTier? Tier);

internal sealed record IssueKeyRequest(string? Name);

internal sealed record TenantList(IReadOnlyList<TenantSummary> Tenants);

internal sealed record KeyList(IReadOnlyList<ApiKeyInfo> Keys);
