using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Agents;

/// <summary><c>DELETE /v1/memory/{agent_id}</c>: every store, hot and cold, that agent only, counted, idempotent, usage taken down.</summary>
public sealed class PurgeTests(MnemoraApp system)
{
    private const string Agent = "customer-42";

    [Fact]
    public async Task APurgeLeavesNothingOfTheAgentInAnyStoreAndTouchesNoOtherAgent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        await AgentSeed.WriteAsync(a, stores.Memory, "other-agent", ct);
        await AgentSeed.WriteAsync(b, stores.Memory, Agent, ct);
        var usageBefore = await UsageAsync(a.Client, ct);
        var seeded = await AgentSeed.WriteAsync(a, stores.Memory, Agent, ct);
        var neighbour = await stores.ReadAsync(a.TenantId, "other-agent", ct);
        var namesake = await stores.ReadAsync(b.TenantId, Agent, ct);
        Assert.False((await stores.ReadAsync(a.TenantId, Agent, ct)).IsEmpty);
        Assert.Equal((2, 3), await stores.SemanticRowsAsync(a.TenantId, Agent, ct));

        var purged = await AgentSeed.PurgeAsync(a.Client, Agent, ct);

        Assert.Equal(Agent, purged.GetProperty("agent_id").GetString());
        Assert.Equal((seeded.State, seeded.Semantic, seeded.Episodes, seeded.S3Objects), AgentSeed.Counts(purged));
        await stores.AssertPurgedAsync(a.TenantId, Agent, ct);
        Assert.Equal(neighbour, await stores.ReadAsync(a.TenantId, "other-agent", ct), AgentContentsComparer.Instance);
        Assert.Equal(namesake, await stores.ReadAsync(b.TenantId, Agent, ct), AgentContentsComparer.Instance);

        // Usage returns to what it was before the agent was written: vectors, bytes in every store, agents and sessions.
        var usageAfter = await UsageAsync(a.Client, ct);
        foreach (var counter in (string[])["vectors_stored", "storage_bytes", "agents_count", "sessions_count"])
        {
            Assert.Equal(usageBefore.GetProperty(counter).GetInt64(), usageAfter.GetProperty(counter).GetInt64());
        }

        foreach (var store in (string[])["dynamo_bytes", "s3_bytes", "postgres_bytes"])
        {
            Assert.Equal(usageBefore.GetProperty("storage").GetProperty(store).GetInt64(), usageAfter.GetProperty("storage").GetProperty(store).GetInt64());
        }
    }

    [Fact]
    public async Task EveryRouteSeesNothingOfAPurgedAgentWhileItsNeighboursStayReadable()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        var seeded = await AgentSeed.WriteAsync(a, stores.Memory, Agent, ct);
        var kept = await AgentSeed.WriteAsync(a, stores.Memory, "other-agent", ct);

        await AgentSeed.PurgeAsync(a.Client, Agent, ct);

        var api = a.Client;
        await Envelope.ReadErrorAsync(await api.GetAsync($"/v1/state/{Agent}", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await api.GetAsync($"/v1/state/{Agent}?session_id=s2", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Empty((await Envelope.ReadDataAsync(await api.GetAsync($"/v1/state/{Agent}/sessions", ct), HttpStatusCode.OK)).GetProperty("sessions").EnumerateArray());
        Assert.Empty((await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/episodic/{Agent}?limit=1000", ct), HttpStatusCode.OK)).GetProperty("episodes").EnumerateArray());
        Assert.Empty((await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/episodic/{Agent}/sessions/s1", ct), HttpStatusCode.OK)).GetProperty("episodes").EnumerateArray());
        foreach (var id in seeded.SemanticIds)
        {
            await Envelope.ReadErrorAsync(await api.GetAsync($"/v1/memory/semantic/{id}", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        }

        var search = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "how to contact the customer", threshold = 0 }, ct), HttpStatusCode.OK);
        Assert.DoesNotContain(search.GetProperty("results").EnumerateArray(), r => r.GetProperty("agent_id").GetString() == Agent);
        var snapshot = await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/{Agent}", ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("state").ValueKind);
        Assert.Empty(snapshot.GetProperty("semantic").EnumerateArray());
        Assert.Empty(snapshot.GetProperty("episodic").EnumerateArray());
        var all = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/search", new { query = "said 1", agent_id = Agent, threshold = 0 }, ct), HttpStatusCode.OK);
        Assert.Empty(all.GetProperty("results").EnumerateArray());

        // The neighbour is whole, hot and cold.
        Assert.Equal(kept.Episodes, (await Envelope.ReadDataAsync(await api.GetAsync("/v1/memory/episodic/other-agent?limit=1000", ct), HttpStatusCode.OK)).GetProperty("episodes").GetArrayLength());
        await Envelope.ReadDataAsync(await api.GetAsync("/v1/state/other-agent", ct), HttpStatusCode.OK);
        foreach (var id in kept.SemanticIds)
        {
            await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/semantic/{id}", ct), HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task ASecondPurgeReturnsZerosAndAPurgeOfAnUnknownAgentToo()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        await AgentSeed.WriteAsync(a, stores.Memory, Agent, ct);
        await AgentSeed.PurgeAsync(a.Client, Agent, ct);

        Assert.Equal((0, 0, 0, 0), AgentSeed.Counts(await AgentSeed.PurgeAsync(a.Client, Agent, ct)));
        Assert.Equal((0, 0, 0, 0), AgentSeed.Counts(await AgentSeed.PurgeAsync(a.Client, "never-written", ct)));
        await stores.AssertPurgedAsync(a.TenantId, Agent, ct);
    }

    [Fact]
    public async Task AnAgentWrittenAgainAfterItsPurgeIsRegisteredAndCountedAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        await AgentSeed.WriteAsync(a, stores.Memory, Agent, ct);
        await AgentSeed.PurgeAsync(a.Client, Agent, ct);
        Assert.Equal(0, (await UsageAsync(a.Client, ct)).GetProperty("agents_count").GetInt64());

        await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "again", type = "action", content = "back" }, ct), HttpStatusCode.Created);

        var usage = await UsageAsync(a.Client, ct);
        Assert.Equal(1, usage.GetProperty("agents_count").GetInt64());
        Assert.Equal(1, usage.GetProperty("sessions_count").GetInt64());
        Assert.Contains($"AGENT#{Agent}", (await stores.ReadAsync(a.TenantId, Agent, ct)).RegistrySortKeys);
    }

    internal static async Task<JsonElement> UsageAsync(HttpClient api, CancellationToken ct) =>
        await Envelope.ReadDataAsync(await api.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
}

/// <summary>Two readings of an agent's stores hold the same things (order aside).</summary>
internal sealed class AgentContentsComparer : IEqualityComparer<AgentContents>
{
    public static AgentContentsComparer Instance { get; } = new();

    public bool Equals(AgentContents? x, AgentContents? y) =>
        x is not null && y is not null
        && x.DynamoSortKeys.Order(StringComparer.Ordinal).SequenceEqual(y.DynamoSortKeys.Order(StringComparer.Ordinal))
        && x.PostgresRows == y.PostgresRows
        && x.S3Keys.Order(StringComparer.Ordinal).SequenceEqual(y.S3Keys.Order(StringComparer.Ordinal))
        && x.RegistrySortKeys.Order(StringComparer.Ordinal).SequenceEqual(y.RegistrySortKeys.Order(StringComparer.Ordinal));

    public int GetHashCode(AgentContents obj) => obj.PostgresRows.GetHashCode();
}
