using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Memory;

/// <summary>
/// Agent and session ids as frameworks send them (LangGraph's <c>ns:parent|child:1</c>, CrewAI's spaces,
/// <c>user/42</c> escaped as <c>%2F</c> in a path, any script) work on every memory, stay apart from the
/// ids a naive key would confuse them with, and stay invisible to another tenant using the same ids.
/// </summary>
public sealed class FrameworkIdentifierTests(MnemoraApp system)
{
    private const string Session = "ns:parent_node:1|child:2";

    // Confusable pairs ("a|b"/"a", "user/42"/"user" and its full-width look-alike, "/"/"%2F"), dot segments, any script,
    // and the longest ids allowed (256 characters; 128 two-byte ones, 256 bytes).
    private static readonly string[] s_agents =
    [
        "user/42", "user", "\uFF55ser/42", "crew agent", "a|b", "a", "Müller", "名前 🙂", "../x", "%2F", "/", "a%2Fb", "a/b",
        new string('a', 255) + "|", new string('ж', 128),
    ];

    private static string Esc(string id) => Uri.EscapeDataString(id);

    [Fact]
    public async Task IdsWithSlashesSpacesBarsAndAnyScriptWorkOnEveryMemoryAndStayApart()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("scale", ct);
        using var b = await system.CreateTenantAsync("scale", ct);
        foreach (var agent in s_agents)
        {
            await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/state", new { agent_id = agent, session_id = Session, data = new { owner = agent } }, ct), HttpStatusCode.Created);
            await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = agent, session_id = Session, type = "observation", content = new { owner = agent } }, ct), HttpStatusCode.Created);
            await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = agent, content = $"Agent {agent} prefers answers by email." }, ct), HttpStatusCode.Created);
        }

        foreach (var agent in s_agents)
        {
            var state = await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/state/{Esc(agent)}?session_id={Esc(Session)}", ct), HttpStatusCode.OK);
            Assert.Equal(agent, state.GetProperty("agent_id").GetString());
            Assert.Equal(agent, state.GetProperty("data").GetProperty("owner").GetString());
            var sessions = await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/state/{Esc(agent)}/sessions", ct), HttpStatusCode.OK);
            Assert.Equal([Session], sessions.GetProperty("sessions").EnumerateArray().Select(s => s.GetString()));
            var replay = await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/memory/episodic/{Esc(agent)}/sessions/{Esc(Session)}", ct), HttpStatusCode.OK);
            Assert.Equal([agent], replay.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("content").GetProperty("owner").GetString()));
            var search = await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "answers by email", agent_id = agent, threshold = 0 }, ct), HttpStatusCode.OK);
            Assert.Equal([agent], search.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("agent_id").GetString()));

            // Tenant B, with the very same ids, sees none of it.
            await Envelope.ReadErrorAsync(await b.Client.GetAsync($"/v1/state/{Esc(agent)}?session_id={Esc(Session)}", ct), HttpStatusCode.NotFound, "NOT_FOUND");
            var bSessions = await Envelope.ReadDataAsync(await b.Client.GetAsync($"/v1/state/{Esc(agent)}/sessions", ct), HttpStatusCode.OK);
            Assert.Empty(bSessions.GetProperty("sessions").EnumerateArray());
            var bReplay = await Envelope.ReadDataAsync(await b.Client.GetAsync($"/v1/memory/episodic/{Esc(agent)}/sessions/{Esc(Session)}", ct), HttpStatusCode.OK);
            Assert.Empty(bReplay.GetProperty("episodes").EnumerateArray());
            var bSearch = await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "answers by email", agent_id = agent, threshold = 0 }, ct), HttpStatusCode.OK);
            Assert.Empty(bSearch.GetProperty("results").EnumerateArray());
        }

        // Forgetting "user" leaves "user/42"; deleting "a"'s state leaves "a|b"'s; "/" leaves "%2F".
        var purged = await Envelope.ReadDataAsync(await a.Client.DeleteAsync($"/v1/memory/{Esc("user")}", ct), HttpStatusCode.OK);
        Assert.Equal("user", purged.GetProperty("agent_id").GetString());
        Assert.Equal(1, purged.GetProperty("deleted").GetProperty("episodic").GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, (await a.Client.DeleteAsync($"/v1/state/{Esc("a")}/{Esc(Session)}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await a.Client.DeleteAsync($"/v1/state/{Esc("/")}/{Esc(Session)}", ct)).StatusCode);
        foreach (var (gone, kept) in new[] { ("user", "user/42"), ("a", "a|b"), ("/", "%2F"), ("/", "a/b") })
        {
            await Envelope.ReadErrorAsync(await a.Client.GetAsync($"/v1/state/{Esc(gone)}?session_id={Esc(Session)}", ct), HttpStatusCode.NotFound, "NOT_FOUND");
            var state = await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/state/{Esc(kept)}?session_id={Esc(Session)}", ct), HttpStatusCode.OK);
            Assert.Equal(kept, state.GetProperty("data").GetProperty("owner").GetString());
        }

        // The operator sees the agents by their ids, and can purge one whose id holds a slash.
        using var admin = system.CreateOperatorClient();
        var agents = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/agents", ct), HttpStatusCode.OK);
        var listed = agents.GetProperty("agents").EnumerateArray().Select(x => x.GetProperty("agent_id").GetString()!).Order(StringComparer.Ordinal);
        Assert.Equal(s_agents.Where(x => x != "user").Order(StringComparer.Ordinal), listed);
        var operatorPurge = await Envelope.ReadDataAsync(await admin.DeleteAsync($"/admin/v1/tenants/{a.TenantId}/agents/{Esc("user/42")}", ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Object, operatorPurge.ValueKind);
        await Envelope.ReadErrorAsync(await a.Client.GetAsync($"/v1/state/{Esc("user/42")}?session_id={Esc(Session)}", ct), HttpStatusCode.NotFound, "NOT_FOUND");
    }
}
