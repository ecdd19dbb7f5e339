using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnemora.Api.Http;

/// <summary>
/// A JSON value as a store keeps it (compact text), put in a response without being parsed into a
/// document, cloned and serialised again on every read.
/// </summary>
[JsonConverter(typeof(StoredJsonConverter))]
public readonly record struct StoredJson(string Text);

/// <summary>
/// Writes <see cref="StoredJson"/> byte for byte what re-serialising it would write: the stored text
/// as is when the response's encoder is the one it was stored with (the API's, relaxed escaping) or
/// would not change a character of it; else through a parsed document as before.
/// </summary>
internal sealed class StoredJsonConverter : JsonConverter<StoredJson>
{
    // Printable ASCII less what the default encoder escapes; a backslash marks an escape in the stored text.
    private static readonly SearchValues<char> s_writtenAsIs = SearchValues.Create(
        string.Concat(Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).Where(c => !"\\<>&'+`".Contains(c, StringComparison.Ordinal))));

    public override StoredJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new StoredJson(document.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, StoredJson value, JsonSerializerOptions options)
    {
        var encoder = writer.Options.Encoder;
        if (!writer.Options.Indented && (ReferenceEquals(encoder, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)
            || (encoder is null && !value.Text.AsSpan().ContainsAnyExcept(s_writtenAsIs))))
        {
            // Validated when it was stored; the store never holds anything but compact JSON.
            writer.WriteRawValue(value.Text, skipInputValidation: true);
            return;
        }

        using var document = JsonDocument.Parse(value.Text);
        document.RootElement.WriteTo(writer);
    }
}
