using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Export;

/// <summary>Export and import as a client calls them: the NDJSON read line by line, the import's envelope asserted.</summary>
internal static class TransferClient
{
    public const string MediaType = "application/x-ndjson";

    /// <summary>Exports an agent (200 expected) and returns the raw NDJSON.</summary>
    public static async Task<string> ExportAsync(this HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        Assert.Equal(MediaType, response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    public static Task<string> ExportAgentAsync(this TestTenant tenant, string agentId, CancellationToken cancellationToken) =>
        tenant.Client.ExportAsync($"/v1/memory/{agentId}/export", cancellationToken);

    public static Task<HttpResponseMessage> ImportAsync(this TestTenant tenant, string ndjson, CancellationToken cancellationToken)
    {
        var content = new StringContent(ndjson, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        return tenant.Client.PostAsync("/v1/memory/import", content, cancellationToken);
    }

    /// <summary>Imports and asserts 200; returns the envelope's data.</summary>
    public static async Task<JsonElement> ImportOkAsync(this TestTenant tenant, string ndjson, CancellationToken cancellationToken) =>
        await Envelope.ReadDataAsync(await tenant.ImportAsync(ndjson, cancellationToken), HttpStatusCode.OK);

    /// <summary>The lines of an export, parsed.</summary>
    public static List<JsonElement> Lines(string ndjson)
    {
        Assert.EndsWith("\n", ndjson, StringComparison.Ordinal);
        return [.. ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        })];
    }

    /// <summary>The records of an export (header and end line asserted and left out) of one memory type.</summary>
    public static List<JsonElement> Records(string ndjson, string memoryType) =>
        [.. Records(ndjson).Where(r => r.GetProperty("memory_type").GetString() == memoryType)];

    public static List<JsonElement> Records(string ndjson)
    {
        var lines = Lines(ndjson);
        Assert.Equal("mnemora-export", lines[0].GetProperty("format").GetString());
        Assert.Equal(1, lines[0].GetProperty("format_version").GetInt32());
        var end = lines[^1];
        Assert.True(end.GetProperty("end").GetBoolean());
        var body = lines[1..^1];
        var records = body.Where(l => !l.TryGetProperty(AuditEventMember, out _)).ToList();
        Assert.Equal(records.Count, end.GetProperty("records").GetInt32());
        // Files the tests write themselves may leave the audit count out; the server's always has it.
        Assert.Equal(body.Count - records.Count, end.GetProperty("counts").TryGetProperty(AuditEventMember, out var audit) ? audit.GetInt32() : 0);
        return records;
    }

    /// <summary>The audit events a tenant export ends with (each line <c>{"audit_event": {..}}</c>), newest first.</summary>
    public static List<JsonElement> AuditEvents(string ndjson)
    {
        Records(ndjson);
        return [.. Lines(ndjson)[1..^1].Where(l => l.TryGetProperty(AuditEventMember, out _)).Select(l => l.GetProperty(AuditEventMember))];
    }

    private const string AuditEventMember = "audit_event";

    /// <summary>A record without the members an import is allowed to change (a semantic memory's id), as comparable text.</summary>
    public static string WithoutId(JsonElement record)
    {
        var members = record.EnumerateObject().Where(p => p.Name != "id").Select(p => $"{JsonSerializer.Serialize(p.Name)}:{p.Value.GetRawText()}");
        return "{" + string.Join(",", members) + "}";
    }

    /// <summary>Builds an NDJSON file from a header, records and a matching end line.</summary>
    public static string File(IEnumerable<string> records, bool withHeader = true, bool withEnd = true)
    {
        var lines = records.ToList();
        var text = new StringBuilder();
        if (withHeader)
        {
            text.Append("""{"format":"mnemora-export","format_version":1,"scope":"agent"}""").Append('\n');
        }

        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        if (withEnd)
        {
            int Count(string type) => lines.Count(l => l.Contains($"\"memory_type\":\"{type}\"", StringComparison.Ordinal));
            var counts = $"{{\"state\":{Count("state")},\"episode\":{Count("episode")},\"semantic\":{Count("semantic")}}}";
            text.Append($"{{\"end\":true,\"records\":{lines.Count(l => l.Length > 0)},\"counts\":{counts}}}").Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>The tests that import episodes days old or run a tiering worker over them, one at a time.</summary>
[CollectionDefinition(nameof(OldEpisodes))]
public sealed class OldEpisodes;
