using System.Globalization;
using Mnemora.Client;

namespace Mnemora.Dashboard.Components;

/// <summary>How numbers, sizes and times read on the pages (UTC throughout, like the API's day boundaries).</summary>
public static class Format
{
    // Decimal units, as the contract counts storage: 50 MB is 50,000,000 bytes.
    private const double ByteStep = 1000;
    private static readonly string[] ByteUnits = ["B", "KB", "MB", "GB", "TB"];

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (value >= ByteStep && unit < ByteUnits.Length - 1)
        {
            value /= ByteStep;
            unit++;
        }

        return unit == 0
            ? $"{bytes.ToString(CultureInfo.InvariantCulture)} B"
            : $"{value.ToString(value < 10 ? "0.#" : "0", CultureInfo.InvariantCulture)} {ByteUnits[unit]}";
    }

    /// <summary>A tier's limits in one line, as the API serves them.</summary>
    public static string Limits(TierLimits tier) =>
        $"{Number(tier.DailyCalls)} calls/day · {Number(tier.Vectors)} vectors · {Bytes(tier.StorageBytes)} storage · {Number(tier.EmbeddingsPerMonth)} embeddings/month";

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Relative(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } value)
        {
            return "never";
        }

        var age = now - value;
        return age switch
        {
            { TotalSeconds: < 60 } => "just now",
            { TotalMinutes: < 60 } => $"{(int)age.TotalMinutes} min ago",
            { TotalHours: < 24 } => $"{(int)age.TotalHours} h ago",
            { TotalDays: < 30 } => $"{(int)age.TotalDays} d ago",
            _ => Time(value),
        };
    }

    /// <summary>A share of a limit in whole percent, capped at 100 for progress bars.</summary>
    public static int Percent(long value, long limit) => limit <= 0 ? 0 : (int)Math.Min(100, value * 100 / limit);
}
