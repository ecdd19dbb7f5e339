namespace Mnemora.Api.Tenancy;

/// <summary>A tenant's plan; its limits are in <see cref="TierLimits"/>.</summary>
public enum TenantTier
{
    Free,
    Starter,
    Pro,
    Scale,
}

/// <summary>The contract's tier table.</summary>
public sealed record TierLimits(int CallsPerDay, long Vectors, long StorageBytes)
{
    private const long Megabyte = 1_000_000;
    private const long Gigabyte = 1_000_000_000;

    public static TierLimits For(TenantTier tier) => tier switch
    {
        TenantTier.Free => new(500, 5_000, 50 * Megabyte),
        TenantTier.Starter => new(5_000, 50_000, 500 * Megabyte),
        TenantTier.Pro => new(25_000, 250_000, 5 * Gigabyte),
        TenantTier.Scale => new(50_000, 500_000, 10 * Gigabyte),
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier."),
    };
}
