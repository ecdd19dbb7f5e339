using System.Text;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Tests.Memory;

/// <summary>Tenant B cannot read, list, replay, change or infer tenant A's state or episodes, hot or cold.</summary>
public sealed class CrossTenantMemoryTests(MnemoraApp system)
{
    [Fact]
    public async Task AnotherTenantSeesAnAgentsStateAndEpisodesAsMissingHotOrCold()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync("scale", ct);
        using var b = await system.CreateTenantAsync("scale", ct);
        using var host = await MemoryHost.CreateAsync(system.App);

        await Envelope.ReadDataAsync(await a.Client.PostAsJsonAsync("/v1/state", new { agent_id = "shared-agent", session_id = "s1", data = new { secret = "a" } }, ct), HttpStatusCode.Created);
        await EpisodicApi.WriteAsync(a.Client, "shared-agent", 4, _ => "s1", ct);
        await host.Mover.MovePartitionAsync($"{a.TenantId}#shared-agent", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);
        await EpisodicApi.WriteAsync(a.Client, "shared-agent", 2, _ => "s1", ct);
        Assert.Equal(2, await host.HotCountAsync(a.TenantId, "shared-agent", ct));
        Assert.NotEmpty(await host.ColdBatchesAsync(a.TenantId, "shared-agent", ct));

        // B asks for A's agent, and for an agent that exists nowhere: the answers must not differ.
        foreach (var agent in (string[])["shared-agent", "never-seen"])
        {
            var state = await Envelope.ReadErrorAsync(await b.Client.GetAsync($"/v1/state/{agent}?session_id=s1", ct), HttpStatusCode.NotFound, "NOT_FOUND");
            Assert.Equal("No state for this agent and session.", state.GetProperty("detail").GetString());
            var sessions = await Envelope.ReadDataAsync(await b.Client.GetAsync($"/v1/state/{agent}/sessions", ct), HttpStatusCode.OK);
            Assert.Empty(sessions.GetProperty("sessions").EnumerateArray());
            await Envelope.ReadErrorAsync(await b.Client.PutAsJsonAsync($"/v1/state/{agent}", new { data = new { secret = "b" }, version = 1, session_id = "s1" }, ct), HttpStatusCode.NotFound, "NOT_FOUND");
            await Envelope.ReadErrorAsync(await b.Client.DeleteAsync($"/v1/state/{agent}/s1", ct), HttpStatusCode.NotFound, "NOT_FOUND");

            var list = await EpisodicApi.ListAsync(b.Client, $"/v1/memory/episodic/{agent}?limit=1000", ct);
            Assert.Empty(list.Episodes);
            Assert.Null(list.Next);
            Assert.Empty((await EpisodicApi.ListAsync(b.Client, $"/v1/memory/episodic/{agent}?session_id=s1", ct)).Episodes);
            var replay = await EpisodicApi.ListAsync(b.Client, $"/v1/memory/episodic/{agent}/sessions/s1", ct);
            Assert.Empty(replay.Episodes);
            Assert.Null(replay.Next);
        }

        // A's cursor, replayed by B, reads B's own (empty) partition.
        var aPage = await EpisodicApi.ListAsync(a.Client, "/v1/memory/episodic/shared-agent?limit=2", ct);
        Assert.NotNull(aPage.Next);
        Assert.Empty((await EpisodicApi.ListAsync(b.Client, $"/v1/memory/episodic/shared-agent?limit=2&cursor={aPage.Next}", ct)).Episodes);

        // Ids that try to reach A's partition through its delimiter are refused. ("/" is no delimiter: an id
        // with it is one S3 key segment, B's own, as FrameworkIdentifierTests shows.)
        foreach (var forged in (string[])[$"{a.TenantId}#shared-agent", "shared-agent#STATE", ".."])
        {
            await Envelope.ReadErrorAsync(await b.Client.PostAsJsonAsync("/v1/state", new { agent_id = forged, data = new { } }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            await Envelope.ReadErrorAsync(await b.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = forged, session_id = "s1", type = "action", content = "x" }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            if (forged != "..")
            {
                // (A bare ".." segment is resolved by the client before sending: it never reaches a route.)
                await Envelope.ReadErrorAsync(await b.Client.GetAsync($"/v1/memory/episodic/{Uri.EscapeDataString(forged)}", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            }
        }

        // A tenant_id in the body is ignored: B's write lands in B's world.
        using var body = new StringContent($$"""{"agent_id":"shared-agent","session_id":"s1","data":{"secret":"b"},"tenant_id":"{{a.TenantId}}"}""", Encoding.UTF8, "application/json");
        var bState = await Envelope.ReadDataAsync(await b.Client.PostAsync("/v1/state", body, ct), HttpStatusCode.Created);
        Assert.Equal(1, bState.GetProperty("version").GetInt64());

        // A's world is untouched.
        var aState = await Envelope.ReadDataAsync(await a.Client.GetAsync("/v1/state/shared-agent?session_id=s1", ct), HttpStatusCode.OK);
        Assert.Equal("a", aState.GetProperty("data").GetProperty("secret").GetString());
        Assert.Equal(1, aState.GetProperty("version").GetInt64());
        Assert.Equal(6, (await EpisodicApi.ListAsync(a.Client, "/v1/memory/episodic/shared-agent/sessions/s1", ct)).Episodes.Count);
    }

    [Fact]
    public async Task ATamperedCursorStaysInsideTheCallersPartition()
    {
        var ct = TestContext.Current.CancellationToken;
        using var b = await system.CreateTenantAsync("scale", ct);
        foreach (var payload in (string[])["v1|../../x", $"v1|{new string('9', 27)}#{Guid.Empty}", "v2|2026-01-01T00:00:00.000000Z#00000000-0000-0000-0000-000000000000", "v1|2026-01-01T00:00:00.000000Z#ZZ"])
        {
            var cursor = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            await Envelope.ReadErrorAsync(await b.Client.GetAsync($"/v1/memory/episodic/agent-1?cursor={cursor}", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }

        var valid = new EpisodePosition("2000-01-01T00:00:00.000000Z", Guid.Empty.ToString("D")).ToCursor();
        var data = await Envelope.ReadDataAsync(await b.Client.GetAsync($"/v1/memory/episodic/agent-1?cursor={valid}", ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Array, data.GetProperty("episodes").ValueKind);
        Assert.Empty(data.GetProperty("episodes").EnumerateArray());
    }
}
