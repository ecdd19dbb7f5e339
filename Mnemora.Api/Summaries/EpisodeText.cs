using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Summaries;

/// <summary>An episode as text a person (or a model) reads: its content's words, and the sentences in them.</summary>
internal static partial class EpisodeText
{
    public const int MaxCharacters = 1_000;

    /// <summary>A string content as it is; a JSON value as its <c>key: value</c> leaves; cut to <see cref="MaxCharacters"/>.</summary>
    public static string Of(EpisodeRecord episode)
    {
        using var document = JsonDocument.Parse(episode.ContentJson);
        var text = new StringBuilder();
        Append(text, document.RootElement, name: null);
        var result = text.ToString().Trim();
        return result.Length > MaxCharacters ? result[..MaxCharacters] : result;
    }

    /// <summary>The text with every run of whitespace (line breaks too) as one space.</summary>
    public static string OneLine(string text) => Whitespace().Replace(text, " ").Trim();

    /// <summary>The sentences of a text (split after . ! ? and at line breaks), each with at least two letters, cut to 300 characters.</summary>
    public static IEnumerable<string> Sentences(string text) =>
        SentenceBreak().Split(text)
            .Select(OneLine)
            .Where(s => s.Count(char.IsLetter) >= 2)
            .Select(s => s.Length > 300 ? s[..300] + "…" : s);

    /// <summary>When, to the minute, in the summary's lines.</summary>
    public static string Minute(string timestamp) =>
        EpisodePosition.ParseTimestamp(timestamp).UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);

    private static void Append(StringBuilder text, JsonElement value, string? name)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Append(text, property.Value, property.Name);
                    if (text.Length > MaxCharacters)
                    {
                        return;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    Append(text, item, name);
                    if (text.Length > MaxCharacters)
                    {
                        return;
                    }
                }

                break;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            default:
                var leaf = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
                if (text.Length > 0)
                {
                    text.Append(name is null ? " " : "; ");
                }

                text.Append(name is null ? leaf : $"{name}: {leaf}");
                break;
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<=[.!?])\s+|[\r\n]+")]
    private static partial Regex SentenceBreak();
}
