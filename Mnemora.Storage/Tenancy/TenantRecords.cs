namespace Mnemora.Storage.Tenancy;

/// <summary>
/// A tenant as stored. <see cref="Tier"/> is the contract's lower-case tier name; <see cref="RetentionDays"/> is how
/// long its episodes are kept (null: for ever).
/// </summary>
public sealed record TenantRecord(string TenantId, string Name, string Tier, DateTime CreatedAt, DateTime? DeletedAt, int? RetentionDays = null)
{
    public bool IsDeleted => DeletedAt is not null;
}

/// <summary>An API key as stored: its SHA-256 hash and a display prefix, never the key itself.</summary>
public sealed record ApiKeyRecord(
    string KeyId,
    string TenantId,
    string KeyHash,
    string Prefix,
    string? Name,
    DateTime CreatedAt,
    DateTime? LastUsedAt,
    DateTime? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>The outcome of counting one call against a daily limit.</summary>
/// <param name="Allowed">False when the limit was already reached; the call was then not counted.</param>
/// <param name="CallsToday">The day's count after this call (the limit when refused).</param>
public readonly record struct CallCount(bool Allowed, long CallsToday);

/// <summary>Calls counted today and this month.</summary>
public readonly record struct CallTotals(long Today, long Month);
