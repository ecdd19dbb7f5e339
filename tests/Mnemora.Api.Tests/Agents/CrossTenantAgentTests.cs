using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Agents;

/// <summary>Tenant B's key on tenant A's agent id, through every whole-agent route: B sees, changes and deletes nothing of A's.</summary>
public sealed class CrossTenantAgentTests(MnemoraApp system)
{
    private const string Agent = "shared-name";

    [Fact]
    public async Task AnotherTenantsPurgeOfTheSameAgentIdDeletesNothingOfOurs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        var seeded = await AgentSeed.WriteAsync(a, stores.Memory, Agent, ct);
        var before = await stores.ReadAsync(a.TenantId, Agent, ct);
        var usageBefore = await PurgeTests.UsageAsync(a.Client, ct);

        Assert.Equal((0, 0, 0, 0), AgentSeed.Counts(await AgentSeed.PurgeAsync(b.Client, Agent, ct)));

        Assert.Equal(before, await stores.ReadAsync(a.TenantId, Agent, ct), AgentContentsComparer.Instance);
        var usageAfter = await PurgeTests.UsageAsync(a.Client, ct);
        Assert.Equal(usageBefore.GetProperty("storage").GetRawText(), usageAfter.GetProperty("storage").GetRawText());
        Assert.Equal(usageBefore.GetProperty("vectors_stored").GetInt64(), usageAfter.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(seeded.Episodes, (await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/memory/episodic/{Agent}?limit=1000", ct), HttpStatusCode.OK)).GetProperty("episodes").GetArrayLength());
    }

    [Fact]
    public async Task AnotherTenantsSnapshotAndSearchOfTheSameAgentIdShowNothingOfOurs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        await AgentSeed.WriteAsync(a, stores.Memory, Agent, ct);

        var snapshot = await Envelope.ReadDataAsync(await b.Client.GetAsync($"/v1/memory/{Agent}", ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("state").ValueKind);
        Assert.Empty(snapshot.GetProperty("semantic").EnumerateArray());
        Assert.Empty(snapshot.GetProperty("episodic").EnumerateArray());

        // Queries that match A's memories and episodes word for word, at threshold 0.
        foreach (var query in (string[])[$"{Agent} prefers to be contacted by email.", "said 0"])
        {
            var forAgent = await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory/search", new { query, agent_id = Agent, threshold = 0 }, ct), HttpStatusCode.OK);
            Assert.Empty(forAgent.GetProperty("results").EnumerateArray());
            var forTenant = await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory/search", new { query, threshold = 0 }, ct), HttpStatusCode.OK);
            Assert.Empty(forTenant.GetProperty("results").EnumerateArray());
        }

        // The same calls with A's key do find them: the emptiness above is isolation, not a broken route.
        var own = await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/memory/{Agent}", ct), HttpStatusCode.OK);
        Assert.Equal(2, own.GetProperty("semantic").GetArrayLength());
        Assert.NotEmpty((await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/search", new { query = "said 0", agent_id = Agent, threshold = 0 }, ct), HttpStatusCode.OK)).GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task AnotherTenantsUnifiedWritesLandInItsOwnWorldEvenWithOurTenantIdInTheBody()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, data = new { owner = "a" } }, ct), HttpStatusCode.Created);

        var state = await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, data = new { owner = "b" }, tenant_id = a.TenantId }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, session_id = "s", type = "action", content = "b's", tenant_id = a.TenantId }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, content = "b's fact", tenant_id = a.TenantId }, ct), HttpStatusCode.Created);

        Assert.Equal(1, state.GetProperty("version").GetInt64());
        var aSnapshot = await Envelope.ReadDataAsync(await a.Client.GetAsync($"/v1/memory/{Agent}", ct), HttpStatusCode.OK);
        Assert.Equal("a", aSnapshot.GetProperty("state").GetProperty("data").GetProperty("owner").GetString());
        Assert.Empty(aSnapshot.GetProperty("semantic").EnumerateArray());
        Assert.Empty(aSnapshot.GetProperty("episodic").EnumerateArray());
    }
}
