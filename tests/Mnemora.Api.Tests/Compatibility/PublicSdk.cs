using System.Net.Http.Headers;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Compatibility;

/// <summary>
/// Speaks to the API as the public Python SDK (<c>mnemora</c> 0.1.x, on httpx) does, so that these
/// tests hold the server to what that SDK and its integrations rely on: the same headers
/// (<c>Content-Type: application/json</c> even on GET and DELETE), paths built from raw ids with
/// <c>:</c> left unescaped and other characters percent-encoded, any status under 400 as success,
/// <c>payload.get("data", payload)</c> as the result, and errors read from <c>error.code</c> and
/// <c>error.message</c> only.
/// </summary>
internal sealed class PublicSdk(HttpClient http)
{
    public static PublicSdk For(MnemoraApp system, string apiKey)
    {
        var http = system.CreateApiClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("mnemora-sdk/0.1.1");
        return new PublicSdk(http);
    }

    /// <summary>A path segment as httpx sends it: unreserved characters and <c>:@/</c> as they are (so an id with <c>/</c> breaks the SDK's own path), the rest percent-encoded.</summary>
    public static string Segment(string id) =>
        Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal).Replace("%40", "@", StringComparison.Ordinal).Replace("%2F", "/", StringComparison.Ordinal);

    public async Task<SdkAnswer> SendAsync(HttpMethod method, string pathAndQuery, object? body = null)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Content = body is null ? new ByteArrayContent([]) : JsonContent.Create(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new SdkAnswer((int)response.StatusCode, text);
    }

    public Task<SdkAnswer> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery);

    public Task<SdkAnswer> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, body);

    public Task<SdkAnswer> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    public Task<SdkAnswer> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);
}

/// <summary>An answer as the SDK sees it.</summary>
internal sealed record SdkAnswer(int Status, string Body)
{
    /// <summary>The SDK's result: any status under 400, a JSON object, its <c>data</c> (or the whole object when there is none).</summary>
    public JsonElement Result
    {
        get
        {
            Assert.True(Status is >= 200 and < 300, $"The SDK needs a 2xx here (it takes a 3xx for success and fails to parse it), got {Status}: {Body}");
            Assert.False(string.IsNullOrEmpty(Body), $"An empty {Status} body makes the SDK return None where it builds a model.");
            using var document = JsonDocument.Parse(Body);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return (document.RootElement.TryGetProperty("data", out var data) ? data : document.RootElement).Clone();
        }
    }

    /// <summary>Asserts the status the SDK maps to its exception, and the only error fields it reads.</summary>
    public void IsError(int status)
    {
        Assert.True(Status == status, $"Expected {status}, got {Status}: {Body}");
        using var document = JsonDocument.Parse(Body);
        var error = document.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.Object, error.ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("code").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
    }
}

/// <summary>The SDK's pydantic models (lax mode, extra fields allowed): the JSON types each field must have.</summary>
internal static class SdkModels
{
    public static void StateResponse(JsonElement e)
    {
        String(e, "agent_id");
        String(e, "session_id");
        Kind(e, "data", JsonValueKind.Object);
        Integer(e, "version");
        String(e, "created_at");
        String(e, "updated_at");
        Optional(e, "expires_at", JsonValueKind.String, nullable: true);
    }

    public static void SemanticResponse(JsonElement e)
    {
        String(e, "id");
        String(e, "agent_id");
        String(e, "content");
        String(e, "namespace");
        Optional(e, "metadata", JsonValueKind.Object, nullable: false);
        Optional(e, "similarity_score", JsonValueKind.Number, nullable: true);
        String(e, "created_at");
        String(e, "updated_at");
        if (e.TryGetProperty("deduplicated", out var deduplicated))
        {
            Assert.True(deduplicated.ValueKind is JsonValueKind.True or JsonValueKind.False, $"deduplicated is {deduplicated.ValueKind}");
        }
    }

    public static void EpisodeResponse(JsonElement e)
    {
        String(e, "id");
        String(e, "agent_id");
        String(e, "session_id");
        String(e, "type");
        Assert.True(e.TryGetProperty("content", out _), "An episode needs content.");
        Optional(e, "metadata", JsonValueKind.Object, nullable: false);
        String(e, "timestamp");
    }

    public static void SearchResult(JsonElement e)
    {
        String(e, "memory_type");
        Assert.Contains(e.GetProperty("memory_type").GetString(), (string[])["semantic", "episodic"]);
        Optional(e, "id", JsonValueKind.String, nullable: true);
        Optional(e, "agent_id", JsonValueKind.String, nullable: true);
        Optional(e, "similarity_score", JsonValueKind.Number, nullable: true);
        Optional(e, "relevance", JsonValueKind.String, nullable: true);
        Optional(e, "metadata", JsonValueKind.Object, nullable: false);
        Optional(e, "created_at", JsonValueKind.String, nullable: true);
        Optional(e, "timestamp", JsonValueKind.String, nullable: true);
    }

    public static void PurgeResponse(JsonElement e)
    {
        String(e, "agent_id");
        IntegerValues(e.GetProperty("deleted"));
    }

    public static void UsageResponse(JsonElement e)
    {
        Integer(e, "api_calls_month");
        Integer(e, "embeddings_generated_month");
        IntegerValues(e.GetProperty("storage"));
        Integer(e, "agents_count");
        Integer(e, "sessions_count");
        String(e, "billing_period");
    }

    /// <summary>A list the SDK reads as <c>data[key]</c> when data is an object.</summary>
    public static JsonElement.ArrayEnumerator List(JsonElement data, string key)
    {
        Assert.Equal(JsonValueKind.Object, data.ValueKind);
        Assert.Equal(JsonValueKind.Array, data.GetProperty(key).ValueKind);
        return data.GetProperty(key).EnumerateArray();
    }

    private static void IntegerValues(JsonElement e)
    {
        Assert.Equal(JsonValueKind.Object, e.ValueKind);
        foreach (var property in e.EnumerateObject())
        {
            Assert.True(property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt64(out _), $"{property.Name} is not an integer: {property.Value}");
        }
    }

    private static void String(JsonElement e, string name) => Kind(e, name, JsonValueKind.String);

    private static void Integer(JsonElement e, string name)
    {
        Kind(e, name, JsonValueKind.Number);
        Assert.True(e.GetProperty(name).TryGetInt64(out _), $"{name} is not an integer: {e.GetProperty(name)}");
    }

    private static void Kind(JsonElement e, string name, JsonValueKind kind)
    {
        Assert.True(e.TryGetProperty(name, out var value), $"'{name}' is missing from {e}");
        Assert.True(value.ValueKind == kind, $"'{name}' is {value.ValueKind}, the SDK needs {kind}: {e}");
    }

    private static void Optional(JsonElement e, string name, JsonValueKind kind, bool nullable)
    {
        if (e.TryGetProperty(name, out var value))
        {
            Assert.True(value.ValueKind == kind || (nullable && value.ValueKind == JsonValueKind.Null), $"'{name}' is {value.ValueKind}, the SDK needs {kind}{(nullable ? " or null" : "")}: {e}");
        }
    }
}
