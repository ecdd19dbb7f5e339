using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Mnemora.Benchmarks;

/// <summary>Requests for <c>POST /v1/memory/import</c>, built as an export file would hold them.</summary>
internal static class ImportFile
{
    /// <summary>An agent's export of semantic memories without vectors: the API embeds every one.</summary>
    public static HttpRequestMessage Memories(string agentId, IReadOnlyList<string> contents)
    {
        var lines = new StringBuilder();
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
        lines.Append(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["format"] = "mnemora-export", ["format_version"] = 1, ["scope"] = "agent", ["agent_id"] = agentId,
            ["exported_at"] = now, ["embedding_encoding"] = null, ["embedding_dimensions"] = null,
        })).Append('\n');
        foreach (var content in contents)
        {
            lines.Append(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["memory_type"] = "semantic", ["id"] = Guid.CreateVersion7().ToString(), ["agent_id"] = agentId, ["namespace"] = "default",
                ["content"] = content, ["metadata"] = new Dictionary<string, object>(), ["created_at"] = now, ["updated_at"] = now,
            })).Append('\n');
        }

        lines.Append(JsonSerializer.Serialize(new { end = true, records = contents.Count, counts = new { state = 0, episode = 0, semantic = contents.Count } })).Append('\n');
        var body = new StringContent(lines.ToString(), Encoding.UTF8);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return new HttpRequestMessage(HttpMethod.Post, "/v1/memory/import") { Content = body };
    }
}
