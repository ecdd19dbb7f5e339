namespace Mnemora.Dashboard.Operator;

/// <summary>The contract's tiers ("Usage, tiers and limits"); the API sends the daily call limit, the other limits are shown from here.</summary>
public sealed record TierLimits(string Name, long CallsPerDay, long Vectors, long StorageBytes);

public static class Tiers
{
    private const long Megabyte = 1024L * 1024;

    public static readonly IReadOnlyList<TierLimits> All =
    [
        new("free", 500, 5_000, 50 * Megabyte),
        new("starter", 5_000, 50_000, 500 * Megabyte),
        new("pro", 25_000, 250_000, 5 * 1024 * Megabyte),
        new("scale", 50_000, 500_000, 10 * 1024 * Megabyte),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(t => t.Name)];

    public static TierLimits? Find(string? name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}
