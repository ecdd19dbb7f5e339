using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Mnemora.Storage.Memory;

/// <summary>
/// Where an episode sits in an agent's history: its timestamp, then its id. Both have a fixed
/// width (<c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c> and a lower-case UUID), so the text
/// <c>{timestamp}#{id}</c> sorts ordinally in time order, in DynamoDB sort keys as in memory.
/// </summary>
public readonly record struct EpisodePosition(string Timestamp, string Id) : IComparable<EpisodePosition>
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>Length of <see cref="ToString"/>: 27 + 1 + 36.</summary>
    public const int Length = 64;

    /// <summary>The UTC day (<c>yyyy-MM-dd</c>) of the episode.</summary>
    public string Day => Timestamp[..10];

    public static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTimestamp(string value) =>
        DateTimeOffset.ParseExact(value, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>A new position: the timestamp in microseconds and a UUID v7 of the same instant, so ids also sort with time.</summary>
    public static EpisodePosition New(DateTimeOffset now) => new(FormatTimestamp(now), Guid.CreateVersion7(now).ToString("D"));

    /// <summary>Parses <c>{timestamp}#{id}</c>, accepting only the exact fixed-width form.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EpisodePosition? position)
    {
        position = null;
        if (text is not { Length: Length } || text[27] != '#')
        {
            return false;
        }

        var timestamp = text[..27];
        var id = text[28..];
        if (!DateTimeOffset.TryParseExact(timestamp, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            || !Guid.TryParseExact(id, "D", out var guid) || guid.ToString("D") != id)
        {
            return false;
        }

        position = new EpisodePosition(timestamp, id);
        return true;
    }

    public override string ToString() => $"{Timestamp}#{Id}";

    public int CompareTo(EpisodePosition other) => string.CompareOrdinal(ToString(), other.ToString());

    /// <summary>The continuation cursor a client gets back: only a position, so it can move a reader within its own partition and nowhere else.</summary>
    public string ToCursor() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes("v1|" + this));

    public static bool TryParseCursor(string? cursor, [NotNullWhen(true)] out EpisodePosition? position)
    {
        position = null;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 128)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(bytes);
        return text.StartsWith("v1|", StringComparison.Ordinal) && TryParse(text[3..], out position);
    }
}
