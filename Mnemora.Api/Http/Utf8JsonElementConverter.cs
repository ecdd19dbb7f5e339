using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace Mnemora.Api.Http;

/// <summary>
/// Reads free JSON values (<c>data</c>, <c>content</c>, <c>metadata</c>) only when their text is
/// UTF-8. The serializer checks the strings it converts, but keeps a JSON value's bytes as they
/// came, and writing them later swaps bad bytes for U+FFFD: a silent rewrite the contract forbids.
/// Refused here, the request is a 400 like any other JSON that cannot be read.
/// </summary>
internal sealed class Utf8JsonElementConverter : JsonConverter<JsonElement>
{
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        return Utf8.IsValid(JsonMarshal.GetRawUtf8Value(element))
            ? element
            : throw new JsonException("A JSON value holds text that is not valid UTF-8.");
    }

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);
}
