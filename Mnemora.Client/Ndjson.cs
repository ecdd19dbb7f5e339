using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mnemora.Client;

/// <summary>Reads an export (docs/export-format.md): one JSON object per line, header first, end line last.</summary>
internal static class Ndjson
{
    public const string MediaType = "application/x-ndjson";

    public static async IAsyncEnumerable<JsonObject> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using (stream)
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var number = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                number++;
                if (line.Length == 0)
                {
                    continue;
                }

                yield return JsonNode.Parse(line) as JsonObject
                    ?? throw new JsonException($"Line {number} of the export is not a JSON object.");
            }
        }
    }
}
