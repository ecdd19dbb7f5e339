using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Mcp;

/// <summary>The MCP server at <c>/mcp</c>, through the official MCP C# client: the contract's tools, the same data as the routes, the same key.</summary>
public sealed class McpToolsTests(MnemoraApp system)
{
    [Fact]
    public async Task ListsExactlyTheContractsToolsWithDescriptionsAndSchemas()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);
        await using var mcp = await system.ConnectAsync(tenant.ApiKey, cancellationToken);

        var tools = await mcp.ListToolsAsync(cancellationToken: cancellationToken);

        Assert.Equal(McpSessions.ContractTools.Order(StringComparer.Ordinal), tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tools, tool => Assert.False(string.IsNullOrWhiteSpace(tool.Description), $"{tool.Name} has no description."));
        var remember = tools.Single(t => t.Name == "remember").JsonSchema;
        Assert.Equal(["agent_id", "content"], remember.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal));
        Assert.True(remember.GetProperty("properties").TryGetProperty("namespace", out _));
        var setState = tools.Single(t => t.Name == "set_state").JsonSchema.GetProperty("properties");
        Assert.Equal(["agent_id", "data", "session_id", "version"], setState.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("integer", setState.GetProperty("version").GetProperty("type").EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null")
            ?? setState.GetProperty("version").GetProperty("type").GetString());
    }

    [Fact]
    public async Task EveryToolAnswersWithTheSameDataAsItsRoute()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);
        await using var mcp = await system.ConnectAsync(tenant.ApiKey, cancellationToken);
        var http = tenant.Client;

        // remember ↔ GET /v1/memory/semantic/{id}
        var remembered = (await mcp.CallAsync("remember", """{"agent_id": "support-bot", "content": "The customer's plan renews on the 3rd of each month.", "metadata": {"source": "crm"}}""", cancellationToken)).Data();
        var memoryId = remembered.GetProperty("id").GetString()!;
        Assert.False(remembered.GetProperty("deduplicated").GetBoolean());
        AssertSame(await Envelope.ReadDataAsync(await http.GetAsync($"/v1/memory/semantic/{memoryId}", cancellationToken), HttpStatusCode.OK), remembered);

        // set_state (create, then update by version) and get_state ↔ GET /v1/state/{agent_id}
        var created = (await mcp.CallAsync("set_state", """{"agent_id": "support-bot", "session_id": "s-1", "data": {"step": 1}}""", cancellationToken)).Data();
        Assert.Equal(1, created.GetProperty("version").GetInt64());
        var updated = (await mcp.CallAsync("set_state", """{"agent_id": "support-bot", "session_id": "s-1", "data": {"step": 2}, "version": 1}""", cancellationToken)).Data();
        Assert.Equal(2, updated.GetProperty("version").GetInt64());
        var state = (await mcp.CallAsync("get_state", """{"agent_id": "support-bot", "session_id": "s-1"}""", cancellationToken)).Data();
        AssertSame(await Envelope.ReadDataAsync(await http.GetAsync("/v1/state/support-bot?session_id=s-1", cancellationToken), HttpStatusCode.OK), state);
        AssertSame(updated, state);

        // list_sessions ↔ GET /v1/state/{agent_id}/sessions
        var sessions = (await mcp.CallAsync("list_sessions", """{"agent_id": "support-bot"}""", cancellationToken)).Data();
        AssertSame(await Envelope.ReadDataAsync(await http.GetAsync("/v1/state/support-bot/sessions", cancellationToken), HttpStatusCode.OK), sessions);

        // log_episode, replay_session ↔ GET /v1/memory/episodic/{agent_id}/sessions/{session_id}
        var first = (await mcp.CallAsync("log_episode", """{"agent_id": "support-bot", "session_id": "s-1", "type": "conversation", "content": {"role": "user", "text": "My invoice is wrong"}}""", cancellationToken)).Data();
        var second = (await mcp.CallAsync("log_episode", """{"agent_id": "support-bot", "session_id": "s-1", "type": "action", "content": "opened ticket 42", "metadata": {"ticket": 42}}""", cancellationToken)).Data();
        var replay = (await mcp.CallAsync("replay_session", """{"agent_id": "support-bot", "session_id": "s-1"}""", cancellationToken)).Data();
        AssertSame(await Envelope.ReadDataAsync(await http.GetAsync("/v1/memory/episodic/support-bot/sessions/s-1", cancellationToken), HttpStatusCode.OK), replay);
        Assert.Equal([first.GetProperty("id").GetString(), second.GetProperty("id").GetString()], replay.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("id").GetString()));

        // recall ↔ POST /v1/memory/search (with and without agent_id)
        foreach (var body in (string[])["""{"query": "when does the plan renew", "agent_id": "support-bot", "top_k": 5}""", """{"query": "when does the plan renew"}"""])
        {
            var recalled = (await mcp.CallAsync("recall", body, cancellationToken)).Data();
            var searched = await Envelope.ReadDataAsync(await http.PostAsync("/v1/memory/search", new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken), HttpStatusCode.OK);
            AssertSame(searched, recalled);
            Assert.Contains(recalled.GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == memoryId);
        }

        // summarize_session ↔ GET /v1/memory/semantic/{id} of the summary it wrote
        var summary = (await mcp.CallAsync("summarize_session", """{"agent_id": "support-bot", "session_id": "s-1"}""", cancellationToken)).Data();
        Assert.Equal("episodic_summaries", summary.GetProperty("namespace").GetString());
        var stored = await Envelope.ReadDataAsync(await http.GetAsync($"/v1/memory/semantic/{summary.GetProperty("id").GetString()}", cancellationToken), HttpStatusCode.OK);
        Assert.Equal(stored.GetProperty("content").GetString(), summary.GetProperty("content").GetString());

        // usage ↔ GET /v1/usage (the MCP calls are counted like any call)
        var usage = (await mcp.CallAsync("usage", "{}", cancellationToken)).Data();
        var routeUsage = await Envelope.ReadDataAsync(await http.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        Assert.Equal(routeUsage.EnumerateObject().Select(p => p.Name), usage.EnumerateObject().Select(p => p.Name));
        foreach (var field in (string[])["vectors_stored", "agents_count", "tier", "daily_limit", "billing_period"])
        {
            AssertSame(routeUsage.GetProperty(field), usage.GetProperty(field));
        }

        Assert.True(usage.GetProperty("api_calls_today").GetInt64() >= 12, $"MCP calls were not counted: {usage}");
        Assert.Equal(usage.GetProperty("api_calls_today").GetInt64() + 1, routeUsage.GetProperty("api_calls_today").GetInt64());

        // forget ↔ DELETE /v1/memory/semantic/{id}
        var forgotten = (await mcp.CallAsync("forget", $$"""{"id": "{{memoryId}}"}""", cancellationToken)).Data();
        Assert.True(forgotten.GetProperty("deleted").GetBoolean());
        await Envelope.ReadErrorAsync(await http.GetAsync($"/v1/memory/semantic/{memoryId}", cancellationToken), HttpStatusCode.NotFound, "NOT_FOUND");
        (await mcp.CallAsync("forget", $$"""{"id": "{{memoryId}}"}""", cancellationToken)).Error("NOT_FOUND");
    }

    [Fact]
    public async Task RefusalsAreToolErrorsThatStartWithTheContractsCode()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);
        await using var mcp = await system.ConnectAsync(tenant.ApiKey, cancellationToken);

        (await mcp.CallAsync("get_state", """{"agent_id": "nobody"}""", cancellationToken)).Error("NOT_FOUND");
        (await mcp.CallAsync("replay_session", """{"agent_id": "nobody", "session_id": "none"}""", cancellationToken)).Error("NOT_FOUND");
        (await mcp.CallAsync("summarize_session", """{"agent_id": "nobody", "session_id": "none"}""", cancellationToken)).Error("NOT_FOUND");
        (await mcp.CallAsync("set_state", """{"agent_id": "a", "data": {"n": 1}}""", cancellationToken)).Data();
        (await mcp.CallAsync("set_state", """{"agent_id": "a", "data": {"n": 2}, "version": 7}""", cancellationToken)).Error("CONFLICT");
        (await mcp.CallAsync("set_state", """{"agent_id": "a", "data": [1, 2]}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("log_episode", """{"agent_id": "a", "session_id": "s", "type": "dream", "content": "x"}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("remember", """{"agent_id": "a#b", "content": "x"}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("remember", """{"agent_id": "a"}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("recall", """{"query": "x", "top_k": 0}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("recall", """{"query": "x", "top_k": "many"}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("forget", """{"id": "not-a-uuid"}""", cancellationToken)).Error("VALIDATION_ERROR");
        (await mcp.CallAsync("remember", $$"""{"agent_id": "a", "content": "{{new string('x', 100_001)}}"}""", cancellationToken)).Error("PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task NoKeyAWrongKeyAndARevokedKeyAreRefused()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        using var admin = system.CreateOperatorClient();
        var issued = await Envelope.ReadDataAsync(await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", new { name = "mcp" }, cancellationToken), HttpStatusCode.Created);
        var key = issued.GetProperty("api_key").GetString()!;

        // The raw answer is the contract's 401 envelope, before any MCP handling.
        using var api = system.CreateApiClient();
        foreach (var authorization in (string?[])[null, "Bearer mnm_not_a_real_key", $"Bearer {system.OperatorKey}"])
        {
            using var request = InitializeRequest();
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            await Envelope.ReadErrorAsync(await api.SendAsync(request, cancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            await Assert.ThrowsAnyAsync<Exception>(async () => await (await system.ConnectAsync(authorization?["Bearer ".Length..], cancellationToken)).DisposeAsync());
        }

        await using (var mcp = await system.ConnectAsync(key, cancellationToken))
        {
            (await mcp.CallAsync("usage", "{}", cancellationToken)).Data();
        }

        var revoked = await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/{issued.GetProperty("key_id").GetString()}", cancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var request = InitializeRequest();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await api.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "The revoked key still opens /mcp.");
            await Task.Delay(250, cancellationToken);
        }

        await Assert.ThrowsAnyAsync<Exception>(async () => await (await system.ConnectAsync(key, cancellationToken)).DisposeAsync());
    }

    private static HttpRequestMessage InitializeRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent(
                """{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    private static void AssertSame(JsonElement expected, JsonElement actual) =>
        Assert.True(JsonElement.DeepEquals(expected, actual), $"Expected {expected}\nbut the tool answered {actual}");
}
