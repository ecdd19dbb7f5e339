namespace Mnemora.Api.Tenancy;

/// <summary>A tenant's plan; its limits are in <see cref="TierLimits"/>.</summary>
public enum TenantTier
{
    Free,
    Starter,
    Pro,
    Scale,
}

/// <summary>
/// The contract's tier table ("Usage, tiers and limits"), the one place a limit is defined: its values are the
/// defaults, which configuration may override per tier (<see cref="TierCatalog"/>); the API enforces what the
/// catalog holds, serves it (<c>GET /admin/v1/tiers</c>, <c>/v1/usage</c>), and the dashboard shows what it serves.
/// </summary>
public sealed record TierLimits(TenantTier Tier, int CallsPerDay, long Vectors, long StorageBytes, long EmbeddingsPerMonth)
{
    // The contract counts storage in decimal units: 1 MB = 1,000,000 bytes.
    private const long Megabyte = 1_000_000;
    private const long Gigabyte = 1_000_000_000;

    private static readonly TierLimits s_free = new(TenantTier.Free, 500, 5_000, 50 * Megabyte, 10_000);
    private static readonly TierLimits s_starter = new(TenantTier.Starter, 5_000, 50_000, 500 * Megabyte, 100_000);
    private static readonly TierLimits s_pro = new(TenantTier.Pro, 25_000, 250_000, 5 * Gigabyte, 500_000);
    private static readonly TierLimits s_scale = new(TenantTier.Scale, 50_000, 500_000, 10 * Gigabyte, 1_000_000);

    /// <summary>Every tier's default (the contract's table), smallest first.</summary>
    public static IReadOnlyList<TierLimits> Defaults { get; } = [s_free, s_starter, s_pro, s_scale];

    /// <summary>The caps a store reservation checks (<see cref="Mnemora.Storage.Usage.IUsageMeter.ReserveAsync"/>).</summary>
    public Mnemora.Storage.Usage.UsageLimits Usage => new(StorageBytes, EmbeddingsPerMonth);

    public static TierLimits DefaultFor(TenantTier tier) => tier switch
    {
        TenantTier.Free => s_free,
        TenantTier.Starter => s_starter,
        TenantTier.Pro => s_pro,
        TenantTier.Scale => s_scale,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier."),
    };
}

/// <summary>
/// One tier's overrides of the contract's defaults, from <c>Mnemora:Tiers:{tier}</c> (e.g.
/// <c>Mnemora:Tiers:free:EmbeddingsPerMonth=100</c>); an unset value keeps the default.
/// </summary>
public sealed class TierOverrides
{
    public int? CallsPerDay { get; set; }

    public long? Vectors { get; set; }

    public long? StorageBytes { get; set; }

    public long? EmbeddingsPerMonth { get; set; }
}

/// <summary>The tiers' limits in force: the contract's defaults with configuration's overrides applied once, at start.</summary>
public sealed class TierCatalog
{
    public const string Section = "Mnemora:Tiers";

    private readonly Dictionary<TenantTier, TierLimits> _limits;

    public TierCatalog(Microsoft.Extensions.Options.IOptions<Dictionary<string, TierOverrides>> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        _limits = TierLimits.Defaults.ToDictionary(d => d.Tier);
        foreach (var (name, change) in overrides.Value)
        {
            if (!TenantTiers.TryParse(name, out var tier))
            {
                throw new InvalidOperationException($"{Section}:{name} names no tier (free, starter, pro or scale).");
            }

            if (change.CallsPerDay < 1 || change.Vectors < 1 || change.StorageBytes < 1 || change.EmbeddingsPerMonth < 1)
            {
                throw new InvalidOperationException($"{Section}:{name}: every limit is at least 1.");
            }

            var limits = _limits[tier];
            _limits[tier] = limits with
            {
                CallsPerDay = change.CallsPerDay ?? limits.CallsPerDay,
                Vectors = change.Vectors ?? limits.Vectors,
                StorageBytes = change.StorageBytes ?? limits.StorageBytes,
                EmbeddingsPerMonth = change.EmbeddingsPerMonth ?? limits.EmbeddingsPerMonth,
            };
        }

        All = [.. TierLimits.Defaults.Select(d => _limits[d.Tier])];
    }

    /// <summary>Every tier, smallest first.</summary>
    public IReadOnlyList<TierLimits> All { get; }

    public TierLimits For(TenantTier tier) => _limits.TryGetValue(tier, out var limits)
        ? limits
        : throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier.");
}
