using Mnemora.Api.Tests.Infrastructure;
using ModelContextProtocol.Client;

namespace Mnemora.Api.Tests.Mcp;

/// <summary>
/// The cross-tenant matrix for <c>/mcp</c>: tenant B's key, through every tool the server lists, aims at
/// tenant A's agent, session and memory ids (and names A as <c>tenant_id</c> in the arguments). B sees
/// nothing of A's; B's writes land in B's own space; A's data is exactly as before. Each case first proves
/// A's resource is there. A listed tool without a case fails the test: a new tool must add its case here.
/// </summary>
public sealed class McpCrossTenantMatrixTests(MnemoraApp system)
{
    private const string Agent = "shared-agent";
    private const string Session = "shared-session";

    private delegate Task Case(Parties parties);

    private static readonly Dictionary<string, Case> s_cases = new(StringComparer.Ordinal)
    {
        ["remember"] = RememberingLikeAnotherTenantIsNotMergedIntoItsMemory,
        ["recall"] = RecallingFindsNothingOfAnotherTenant,
        ["forget"] = ForgettingAnotherTenantsMemoryIsNotFound,
        ["get_state"] = ReadingAnotherTenantsStateIsNotFound,
        ["set_state"] = SettingStateForAnotherTenantsAgentSetsOnesOwn,
        ["log_episode"] = LoggingForAnotherTenantsSessionLogsOnesOwn,
        ["replay_session"] = ReplayingAnotherTenantsSessionIsNotFound,
        ["list_sessions"] = ListingAnotherTenantsSessionsIsEmpty,
        ["summarize_session"] = SummarizingAnotherTenantsSessionIsNotFound,
        ["usage"] = UsageCountsOnlyOnesOwnData,
    };

    [Fact]
    public async Task NoToolReachesAnotherTenantsData()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("scale", cancellationToken);
        using var b = await system.CreateTenantAsync("scale", cancellationToken);
        await using var mcpA = await system.ConnectAsync(a.ApiKey, cancellationToken);
        await using var mcpB = await system.ConnectAsync(b.ApiKey, cancellationToken);

        var listed = (await mcpB.ListToolsAsync(cancellationToken: cancellationToken)).Select(t => t.Name).ToList();
        var uncovered = listed.Where(t => !s_cases.ContainsKey(t)).ToList();
        Assert.True(uncovered.Count == 0, $"Tools without a cross-tenant case (add one to {nameof(McpCrossTenantMatrixTests)}): {string.Join(", ", uncovered)}");

        var memory = (await mcpA.CallAsync("remember", $$"""{"agent_id": "{{Agent}}", "content": "Tenant A's secret: the vault code is 7741."}""", cancellationToken)).Data();
        (await mcpA.CallAsync("set_state", $$$"""{"agent_id": "{{{Agent}}}", "session_id": "{{{Session}}}", "data": {"owner": "A"}}""", cancellationToken)).Data();
        (await mcpA.CallAsync("log_episode", $$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}", "type": "conversation", "content": "A's vault code is 7741"}""", cancellationToken)).Data();
        var parties = new Parties(a, mcpA, b, mcpB, memory.GetProperty("id").GetString()!, cancellationToken);
        var before = await SnapshotAsync(parties);

        var failures = new List<string>();
        foreach (var tool in listed.Order(StringComparer.Ordinal))
        {
            try
            {
                await s_cases[tool](parties);
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                failures.Add($"{tool}: {failure.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.Equal(before, await SnapshotAsync(parties));
    }

    private sealed record Parties(TestTenant A, McpClient McpA, TestTenant B, McpClient McpB, string MemoryId, CancellationToken Ct)
    {
        /// <summary>Arguments with A's tenant id smuggled in: the tenant comes only from the key.</summary>
        public string Smuggled(string arguments) => arguments.TrimEnd()[..^1] + (arguments.Trim() == "{}" ? "" : ",") + $$""" "tenant_id": "{{A.TenantId}}"}""";
    }

    private static async Task<string> SnapshotAsync(Parties p)
    {
        var whole = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/{Uri.EscapeDataString(Agent)}", p.Ct), HttpStatusCode.OK);
        var memory = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{p.MemoryId}", p.Ct), HttpStatusCode.OK);
        return whole.GetRawText() + memory.GetRawText();
    }

    private static async Task RememberingLikeAnotherTenantIsNotMergedIntoItsMemory(Parties p)
    {
        var own = (await p.McpB.CallAsync("remember", p.Smuggled($$"""{"agent_id": "{{Agent}}", "content": "Tenant A's secret: the vault code is 7741."}"""), p.Ct)).Data();
        Assert.NotEqual(p.MemoryId, own.GetProperty("id").GetString());
        Assert.False(own.GetProperty("deduplicated").GetBoolean());
        (await p.McpB.CallAsync("forget", $$"""{"id": "{{own.GetProperty("id").GetString()}}"}""", p.Ct)).Data();
    }

    private static async Task RecallingFindsNothingOfAnotherTenant(Parties p)
    {
        var ofA = (await p.McpA.CallAsync("recall", $$"""{"query": "vault code", "agent_id": "{{Agent}}"}""", p.Ct)).Data();
        Assert.NotEmpty(ofA.GetProperty("results").EnumerateArray());
        foreach (var arguments in (string[])[$$"""{"query": "vault code", "agent_id": "{{Agent}}"}""", """{"query": "vault code", "top_k": 100}"""])
        {
            var ofB = (await p.McpB.CallAsync("recall", p.Smuggled(arguments), p.Ct)).Data();
            Assert.DoesNotContain("7741", ofB.GetRawText(), StringComparison.Ordinal);
        }
    }

    private static async Task ForgettingAnotherTenantsMemoryIsNotFound(Parties p) =>
        (await p.McpB.CallAsync("forget", p.Smuggled($$"""{"id": "{{p.MemoryId}}"}"""), p.Ct)).Error("NOT_FOUND");

    private static async Task ReadingAnotherTenantsStateIsNotFound(Parties p)
    {
        (await p.McpA.CallAsync("get_state", $$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}"}""", p.Ct)).Data();
        var ofB = (await p.McpB.CallAsync("get_state", p.Smuggled($$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}"}"""), p.Ct)).Error("NOT_FOUND");
        var nowhere = (await p.McpB.CallAsync("get_state", $$"""{"agent_id": "{{Agent}}", "session_id": "never-{{Guid.NewGuid():N}}"}""", p.Ct)).Error("NOT_FOUND");
        Assert.Equal(nowhere, ofB);
    }

    private static async Task SettingStateForAnotherTenantsAgentSetsOnesOwn(Parties p)
    {
        // Versioned: A's state is at version 1, B has none, so B's update is not found rather than applied to A's.
        (await p.McpB.CallAsync("set_state", p.Smuggled($$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}", "data": {"owner": "B"}, "version": 1}"""), p.Ct)).Error("NOT_FOUND");
        var own = (await p.McpB.CallAsync("set_state", p.Smuggled($$$"""{"agent_id": "{{{Agent}}}", "session_id": "{{{Session}}}", "data": {"owner": "B"}}"""), p.Ct)).Data();
        Assert.Equal(1, own.GetProperty("version").GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, (await p.B.Client.DeleteAsync($"/v1/state/{Uri.EscapeDataString(Agent)}/{Session}", p.Ct)).StatusCode);
    }

    private static async Task LoggingForAnotherTenantsSessionLogsOnesOwn(Parties p)
    {
        var own = (await p.McpB.CallAsync("log_episode", p.Smuggled($$"""{"agent_id": "{{Agent}}", "session_id": "b-{{Session}}", "type": "observation", "content": "B was here"}"""), p.Ct)).Data();
        var replay = (await p.McpB.CallAsync("replay_session", $$"""{"agent_id": "{{Agent}}", "session_id": "b-{{Session}}"}""", p.Ct)).Data();
        Assert.Equal([own.GetProperty("id").GetString()], replay.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
    }

    private static async Task ReplayingAnotherTenantsSessionIsNotFound(Parties p)
    {
        (await p.McpA.CallAsync("replay_session", $$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}"}""", p.Ct)).Data();
        (await p.McpB.CallAsync("replay_session", p.Smuggled($$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}"}"""), p.Ct)).Error("NOT_FOUND");
    }

    private static async Task ListingAnotherTenantsSessionsIsEmpty(Parties p)
    {
        var ofA = (await p.McpA.CallAsync("list_sessions", $$"""{"agent_id": "{{Agent}}"}""", p.Ct)).Data();
        Assert.Contains(Session, ofA.GetProperty("sessions").EnumerateArray().Select(s => s.GetString()));
        var ofB = (await p.McpB.CallAsync("list_sessions", p.Smuggled($$"""{"agent_id": "{{Agent}}"}"""), p.Ct)).Data();
        Assert.DoesNotContain(Session, ofB.GetProperty("sessions").EnumerateArray().Select(s => s.GetString()));
    }

    private static async Task SummarizingAnotherTenantsSessionIsNotFound(Parties p) =>
        (await p.McpB.CallAsync("summarize_session", p.Smuggled($$"""{"agent_id": "{{Agent}}", "session_id": "{{Session}}"}"""), p.Ct)).Error("NOT_FOUND");

    private static async Task UsageCountsOnlyOnesOwnData(Parties p)
    {
        var ofA = (await p.McpA.CallAsync("usage", "{}", p.Ct)).Data();
        Assert.True(ofA.GetProperty("vectors_stored").GetInt64() >= 1);
        var fresh = await Envelope.ReadDataAsync(await p.B.Client.GetAsync("/v1/usage", p.Ct), HttpStatusCode.OK);
        var ofB = (await p.McpB.CallAsync("usage", p.Smuggled("{}"), p.Ct)).Data();
        Assert.Equal(fresh.GetProperty("vectors_stored").GetInt64(), ofB.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(fresh.GetProperty("storage_bytes").GetInt64(), ofB.GetProperty("storage_bytes").GetInt64());
    }
}
