using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Mnemora.Api.Tests.Mcp;

/// <summary>The official MCP C# client connected to the system's <c>/mcp</c> with a tenant's API key.</summary>
public static class McpSessions
{
    public static readonly string[] ContractTools =
        ["remember", "recall", "forget", "get_state", "set_state", "log_episode", "replay_session", "list_sessions", "summarize_session", "usage"];

    public static async Task<McpClient> ConnectAsync(this MnemoraApp system, string? apiKey, CancellationToken cancellationToken)
    {
        using var api = system.CreateApiClient();
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (apiKey is not null)
        {
            headers["Authorization"] = $"Bearer {apiKey}";
        }

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(api.BaseAddress!, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        });
        return await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
    }

    /// <summary>Calls a tool with arguments given as one JSON object (so tests write what goes on the wire).</summary>
    public static async Task<CallToolResult> CallAsync(this McpClient client, string tool, string argumentsJson, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(argumentsJson);
        var arguments = document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
        return await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
    }

    /// <summary>The successful result's JSON (its text, which must equal its structured content when there is one).</summary>
    public static JsonElement Data(this CallToolResult result)
    {
        var text = Text(result);
        Assert.False(result.IsError == true, $"The tool failed: {text}");
        using var document = JsonDocument.Parse(text);
        var data = document.RootElement.Clone();
        if (result.StructuredContent is { } structured)
        {
            Assert.True(JsonElement.DeepEquals(data, structured), $"Structured content {structured} differs from the text {text}.");
        }

        return data;
    }

    /// <summary>Asserts a tool error whose text starts with the contract's <paramref name="code"/>.</summary>
    public static string Error(this CallToolResult result, string code)
    {
        var text = Text(result);
        Assert.True(result.IsError == true, $"Expected {code}, the tool answered {text}");
        Assert.StartsWith(code + ": ", text, StringComparison.Ordinal);
        return text;
    }

    public static string Text(this CallToolResult result) =>
        string.Concat(result.Content.OfType<TextContentBlock>().Select(block => block.Text));
}
