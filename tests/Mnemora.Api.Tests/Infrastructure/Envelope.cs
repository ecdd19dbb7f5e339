using System.Text.Json;

namespace Mnemora.Api.Tests.Infrastructure;

/// <summary>Reads the contract's envelopes as JSON, so tests assert on the wire format itself.</summary>
public static class Envelope
{
    public static async Task<JsonElement> ReadDataAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.True(root.TryGetProperty("meta", out var meta), $"No meta in {body}");
        Assert.Equal(JsonValueKind.String, meta.GetProperty("request_id").ValueKind);
        Assert.Equal(JsonValueKind.Number, meta.GetProperty("latency_ms").ValueKind);
        return root.GetProperty("data").Clone();
    }

    /// <summary>Asserts the error envelope (problem+json with <c>error.code</c> and <c>meta</c>) and returns the whole body.</summary>
    public static async Task<JsonElement> ReadErrorAsync(HttpResponseMessage response, HttpStatusCode expected, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal((int)expected, root.GetProperty("status").GetInt32());
        Assert.Equal(code, root.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, root.GetProperty("title").ValueKind);
        Assert.Equal(JsonValueKind.String, root.GetProperty("meta").GetProperty("request_id").ValueKind);
        return root.Clone();
    }
}
