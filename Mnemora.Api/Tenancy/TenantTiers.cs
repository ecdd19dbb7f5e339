namespace Mnemora.Api.Tenancy;

/// <summary>The tiers' names on the wire and in the store: <c>free</c>, <c>starter</c>, <c>pro</c>, <c>scale</c>.</summary>
public static class TenantTiers
{
    public static string Name(TenantTier tier) => tier switch
    {
        TenantTier.Free => "free",
        TenantTier.Starter => "starter",
        TenantTier.Pro => "pro",
        TenantTier.Scale => "scale",
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier."),
    };

    public static bool TryParse(string? name, out TenantTier tier)
    {
        (var known, tier) = name switch
        {
            "free" => (true, TenantTier.Free),
            "starter" => (true, TenantTier.Starter),
            "pro" => (true, TenantTier.Pro),
            "scale" => (true, TenantTier.Scale),
            _ => (false, TenantTier.Free),
        };
        return known;
    }

    /// <summary>The tier of a stored tenant; an unknown stored name falls back to the most restrictive tier.</summary>
    public static TenantTier Parse(string name) => TryParse(name, out var tier) ? tier : TenantTier.Free;
}
