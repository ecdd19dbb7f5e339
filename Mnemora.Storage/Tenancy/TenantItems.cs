using System.Globalization;

namespace Mnemora.Storage.Tenancy;

/// <summary>
/// The key schema of the tenants table. A tenant's profile, key list, usage counters and agent
/// registry share its partition <c>TENANT#{id}</c>; a key is found by its hash (<c>KEY#{sha256}</c>);
/// the registry partition <c>TENANTS</c> lists tenants without a Scan. Ids are validated
/// identifiers (no <c>#</c>), so no composite key can be forged from another.
/// </summary>
public static class TenantItems
{
    public const string RegistryPk = "TENANTS";
    public const string ProfileSk = "PROFILE";
    public const string KeySk = "KEY";
    public const string TotalsSk = "USAGE#TOTALS";
    public const string AgentSkPrefix = "AGENT#";
    public const string SessionSkPrefix = "SESSION#";
    public const string TenantKeySkPrefix = "KEY#";

    public static string TenantPk(string tenantId) => $"TENANT#{tenantId}";

    public static string RegistrySk(string tenantId) => $"TENANT#{tenantId}";

    public static string KeyPk(string keyHash) => $"KEY#{keyHash}";

    public static string TenantKeySk(string keyId) => TenantKeySkPrefix + keyId;

    public static string DaySk(DateTimeOffset at) =>
        "USAGE#DAY#" + at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The common prefix of the day items of the month of <paramref name="at"/>: the month's calls are their sum.</summary>
    public static string MonthDaysSkPrefix(DateTimeOffset at) => "USAGE#DAY#" + BillingPeriod(at) + "-";

    public static string MonthSk(DateTimeOffset at) => "USAGE#MONTH#" + BillingPeriod(at);

    /// <summary>The UTC month a moment falls in, <c>yyyy-MM</c>.</summary>
    public static string BillingPeriod(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static string AgentSk(string agentId) => AgentSkPrefix + agentId;

    /// <summary>Agent ids hold no <c>#</c>, so <c>SESSION#{agent}#{session}</c> is unambiguous.</summary>
    public static string SessionSk(string agentId, string sessionId) => $"{SessionSkPrefix}{agentId}#{sessionId}";

    /// <summary>Attribute names.</summary>
    public static class Attributes
    {
        public const string TenantId = "tenant_id";
        public const string Name = "name";
        public const string Tier = "tier";
        public const string CreatedAt = "created_at";
        public const string DeletedAt = "deleted_at";
        public const string KeyId = "key_id";
        public const string KeyHash = "key_hash";
        public const string Prefix = "prefix";
        public const string LastUsedAt = "last_used_at";
        public const string RevokedAt = "revoked_at";
        public const string Calls = "calls";
        public const string LastWrite = "last_write";
        public const string Embeddings = "embeddings";
        public const string Vectors = "vectors";
        public const string DynamoBytes = "dynamo_bytes";
        public const string S3Bytes = "s3_bytes";
        public const string PostgresBytes = "postgres_bytes";
        public const string Agents = "agents";
        public const string Sessions = "sessions";
        public const string AgentId = "agent_id";
        public const string SessionId = "session_id";
        public const string FirstSeenAt = "first_seen_at";
        public const string RetentionDays = "retention_days";
    }
}
