using System.Globalization;
using System.Net.Http.Headers;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Agents;

/// <summary>The operator's agent routes (list, purge), daily calls, and the purge that deleting a tenant runs.</summary>
public sealed class AgentAdminApiTests(MnemoraApp system)
{
    [Fact]
    public async Task TheOperatorListsATenantsAgentsWithTheirLiveRecordsPerMemoryType()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        await using var stores = await AgentStores.OpenAsync(system);
        var seeded = await AgentSeed.WriteAsync(a, stores.Memory, "agent-1", ct);
        await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent-2", content = "Only a fact." }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await b.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent-b", content = "B's fact." }, ct), HttpStatusCode.Created);

        var listed = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/agents", ct), HttpStatusCode.OK);

        var agents = listed.GetProperty("agents").EnumerateArray()
            .Select(x => (x.GetProperty("agent_id").GetString(), x.GetProperty("state").GetInt64(), x.GetProperty("semantic").GetInt64(), x.GetProperty("episodic").GetInt64()))
            .ToList();
        Assert.Equal([("agent-1", seeded.State, seeded.Semantic, seeded.Episodes), ("agent-2", 0L, 1L, 0L)], agents);
    }

    [Fact]
    public async Task TheOperatorPurgesOneAgentOfOneTenantOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        await using var stores = await AgentStores.OpenAsync(system);
        var seeded = await AgentSeed.WriteAsync(a, stores.Memory, "agent-1", ct);
        await AgentSeed.WriteAsync(a, stores.Memory, "agent-2", ct);
        await AgentSeed.WriteAsync(b, stores.Memory, "agent-1", ct);
        var kept = await stores.ReadAsync(a.TenantId, "agent-2", ct);
        var namesake = await stores.ReadAsync(b.TenantId, "agent-1", ct);

        var purged = await Envelope.ReadDataAsync(await admin.DeleteAsync($"/admin/v1/tenants/{a.TenantId}/agents/agent-1", ct), HttpStatusCode.OK);

        Assert.Equal("agent-1", purged.GetProperty("agent_id").GetString());
        var deleted = purged.GetProperty("deleted");
        Assert.Equal((seeded.State, seeded.Semantic, seeded.Episodes, seeded.S3Objects),
            (deleted.GetProperty("state").GetInt64(), deleted.GetProperty("semantic").GetInt64(), deleted.GetProperty("episodic").GetInt64(), deleted.GetProperty("s3_objects").GetInt64()));
        await stores.AssertPurgedAsync(a.TenantId, "agent-1", ct);
        Assert.Equal(kept, await stores.ReadAsync(a.TenantId, "agent-2", ct), AgentContentsComparer.Instance);
        Assert.Equal(namesake, await stores.ReadAsync(b.TenantId, "agent-1", ct), AgentContentsComparer.Instance);
        var listed = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/agents", ct), HttpStatusCode.OK);
        Assert.Equal(["agent-2"], listed.GetProperty("agents").EnumerateArray().Select(x => x.GetProperty("agent_id").GetString()));

        var again = await Envelope.ReadDataAsync(await admin.DeleteAsync($"/admin/v1/tenants/{a.TenantId}/agents/agent-1", ct), HttpStatusCode.OK);
        Assert.Equal("""{"state":0,"semantic":0,"episodic":0,"s3_objects":0}""", again.GetProperty("deleted").GetRawText());
    }

    [Fact]
    public async Task DeletingATenantPurgesEveryAgentEvenOneMissingFromTheRegistryAndZeroesItsUsage()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        await using var stores = await AgentStores.OpenAsync(system);
        var one = await AgentSeed.WriteAsync(a, stores.Memory, "agent-1", ct);
        var lost = await AgentSeed.WriteAsync(a, stores.Memory, "agent-lost", ct);
        await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "agent-2", content = "Only a fact." }, ct), HttpStatusCode.Created);
        await AgentSeed.WriteAsync(b, stores.Memory, "agent-1", ct);
        var namesake = await stores.ReadAsync(b.TenantId, "agent-1", ct);
        // As a crash between a write and its registration would leave it: the data is there, the registry does not know it.
        await stores.UnregisterAsync(a.TenantId, "agent-lost", ct);

        var deleted = await Envelope.ReadDataAsync(await admin.DeleteAsync($"/admin/v1/tenants/{a.TenantId}", ct), HttpStatusCode.OK);

        var counts = deleted.GetProperty("deleted");
        Assert.Equal(one.Episodes + lost.Episodes, counts.GetProperty("episodic").GetInt64());
        Assert.Equal(one.Semantic + lost.Semantic + 1, counts.GetProperty("semantic").GetInt64());
        Assert.Equal(one.State + lost.State, counts.GetProperty("state").GetInt64());
        Assert.Equal(one.S3Objects + lost.S3Objects, counts.GetProperty("s3_objects").GetInt64());
        Assert.Equal(1, deleted.GetProperty("keys_revoked").GetInt32());
        foreach (var agent in (string[])["agent-1", "agent-lost", "agent-2"])
        {
            await stores.AssertPurgedAsync(a.TenantId, agent, ct);
        }

        Assert.Equal(namesake, await stores.ReadAsync(b.TenantId, "agent-1", ct), AgentContentsComparer.Instance);
        var usage = (await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}", ct), HttpStatusCode.OK)).GetProperty("usage");
        Assert.Equal((0, 0, 0), (usage.GetProperty("vectors_stored").GetInt64(), usage.GetProperty("storage_bytes").GetInt64(), usage.GetProperty("agents_count").GetInt64()));
        Assert.Equal(0, usage.GetProperty("sessions_count").GetInt64());
    }

    [Fact]
    public Task DailyUsageListsTheTenantsOwnCallsPerUtcDayOldestFirst() => UtcDay.RunAsync(DailyUsageListsTheTenantsOwnCallsPerUtcDayOldestFirstOnceAsync);

    private async Task DailyUsageListsTheTenantsOwnCallsPerUtcDayOldestFirstOnceAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var b = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        for (var i = 0; i < 3; i++)
        {
            await Envelope.ReadDataAsync(await a.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        }

        await Envelope.ReadDataAsync(await b.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);

        var month = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/usage/daily?days=30", ct), HttpStatusCode.OK);
        var days = month.GetProperty("days").EnumerateArray().Select(d => (Date: d.GetProperty("date").GetString()!, Calls: d.GetProperty("api_calls").GetInt64())).ToList();
        var today = UtcDay.Today();

        Assert.Equal(30, days.Count);
        Assert.Equal(today, days[^1].Date);
        Assert.Equal(3, days[^1].Calls);
        Assert.All(days[..^1], d => Assert.Equal(0, d.Calls));
        Assert.Equal(days.Select(d => d.Date).Order(StringComparer.Ordinal), days.Select(d => d.Date));
        Assert.Equal(TimeProvider.System.GetUtcNow().Date.AddDays(-29).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), days[0].Date);

        var single = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/usage/daily?days=1", ct), HttpStatusCode.OK);
        Assert.Equal($$"""[{"date":"{{today}}","api_calls":3}]""", single.GetProperty("days").GetRawText());
        var byDefault = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/usage/daily", ct), HttpStatusCode.OK);
        Assert.Equal(30, byDefault.GetProperty("days").GetArrayLength());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("367")]
    [InlineData("-1")]
    [InlineData("thirty")]
    public async Task DailyUsageRefusesABadNumberOfDays(string days)
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        await Envelope.ReadErrorAsync(await admin.GetAsync($"/admin/v1/tenants/{a.TenantId}/usage/daily?days={days}", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task TheAgentRoutesAnswerNotFoundForAnUnknownTenantAndRefuseBadIdsAndTenantKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("pro", ct);
        using var admin = system.CreateOperatorClient();
        await Envelope.ReadErrorAsync(await admin.GetAsync("/admin/v1/tenants/no-such-tenant/agents", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.DeleteAsync("/admin/v1/tenants/no-such-tenant/agents/agent-1", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.GetAsync("/admin/v1/tenants/no-such-tenant/usage/daily", ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await admin.DeleteAsync($"/admin/v1/tenants/{a.TenantId}/agents/bad%23id", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await admin.GetAsync("/admin/v1/tenants/bad%23id/agents", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        // A tenant's own key is not the operator's: it may not list or purge even its own agents here.
        using var tenantKey = system.CreateApiClient();
        tenantKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", a.ApiKey);
        await Envelope.ReadErrorAsync(await tenantKey.GetAsync($"/admin/v1/tenants/{a.TenantId}/agents", ct), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Envelope.ReadErrorAsync(await tenantKey.DeleteAsync($"/admin/v1/tenants/{a.TenantId}/agents/agent-1", ct), HttpStatusCode.Forbidden, "FORBIDDEN");
        await Envelope.ReadErrorAsync(await tenantKey.GetAsync($"/admin/v1/tenants/{a.TenantId}/usage/daily", ct), HttpStatusCode.Forbidden, "FORBIDDEN");
    }
}
