using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage.Memory;
using static Mnemora.Api.Tests.Memory.EpisodicApi;

namespace Mnemora.Api.Tests.Memory;

/// <summary>Episodic memory through <c>/v1/memory/episodic</c>: shapes, order, filters, cursors, replay, and no change when episodes go cold.</summary>
public sealed class EpisodicApiTests(MnemoraApp system)
{
    [Fact]
    public async Task EpisodesAreListedOldestFirstWithFiltersAndACursor()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        var written = await WriteAsync(tenant.Client, "agent-1", 9, i => i < 6 ? "s1" : "s2", ct);

        var first = written[0];
        Assert.Equal("agent-1", first.GetProperty("agent_id").GetString());
        Assert.Equal("s1", first.GetProperty("session_id").GetString());
        Assert.Equal("conversation", first.GetProperty("type").GetString());
        Assert.Equal("said 0", first.GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Object, written[1].GetProperty("content").ValueKind);
        Assert.Equal(0, first.GetProperty("metadata").GetProperty("i").GetInt32());
        Assert.True(Guid.TryParse(first.GetProperty("id").GetString(), out _));
        Assert.EndsWith("Z", first.GetProperty("timestamp").GetString(), StringComparison.Ordinal);

        var all = await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1", ct);
        Assert.Equal(Ids(written), Ids(all.Episodes));
        Assert.Null(all.Next);
        Assert.Equal(written.Select(e => e.GetRawText()), all.Episodes.Select(e => e.GetRawText()));

        Assert.Equal(Ids(written[6..]), Ids((await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1?session_id=s2", ct)).Episodes));
        Assert.Equal(Ids(written.Where((_, i) => i % 4 == 1)), Ids((await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1?type=action", ct)).Episodes));
        var from = Uri.EscapeDataString(written[2].GetProperty("timestamp").GetString()!);
        var to = Uri.EscapeDataString(written[5].GetProperty("timestamp").GetString()!);
        Assert.Equal(Ids(written[2..6]), Ids((await ListAsync(tenant.Client, $"/v1/memory/episodic/agent-1?from={from}&to={to}", ct)).Episodes));

        var paged = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1?limit=4" + (cursor is null ? "" : $"&cursor={cursor}"), ct);
            Assert.True(page.Episodes.Count <= 4);
            paged.AddRange(page.Episodes);
            cursor = page.Next;
        }
        while (cursor is not null && paged.Count < 100);
        Assert.Equal(Ids(written), Ids(paged));

        var replay = await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1/sessions/s1", ct);
        Assert.Equal(Ids(written[..6]), Ids(replay.Episodes));
        var none = await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1/sessions/none", ct);
        Assert.Empty(none.Episodes);
        Assert.Null(none.Next);
    }

    [Fact]
    public async Task ReadsAreTheSameBeforeAndAfterEpisodesMoveToS3AndAReplaySpansBoth()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        using var host = await MemoryHost.CreateAsync(system.App);
        await WriteAsync(tenant.Client, "agent-1", 12, i => $"s{i % 2}", ct);
        var before = await tenant.Client.GetStringAsync("/v1/memory/episodic/agent-1?limit=1000", ct);
        var beforeReplay = await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1/sessions/s1", ct);

        await host.Mover.MovePartitionAsync($"{tenant.TenantId}#agent-1", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);
        Assert.Equal(0, await host.HotCountAsync(tenant.TenantId, "agent-1", ct));

        var after = await tenant.Client.GetStringAsync("/v1/memory/episodic/agent-1?limit=1000", ct);
        Assert.Equal(Data(before), Data(after));
        var hot = await WriteAsync(tenant.Client, "agent-1", 2, _ => "s1", ct);
        var replay = await ListAsync(tenant.Client, "/v1/memory/episodic/agent-1/sessions/s1", ct);
        Assert.Equal([.. Ids(beforeReplay.Episodes), .. Ids(hot)], Ids(replay.Episodes));
    }

    [Theory]
    [InlineData("""{"agent_id":"a#b","session_id":"s","type":"action","content":"x"}""", 400)]
    [InlineData("""{"agent_id":"a","session_id":"s#1","type":"action","content":"x"}""", 400)]
    [InlineData("""{"agent_id":"a","type":"action","content":"x"}""", 400)]
    [InlineData("""{"agent_id":"a","session_id":"s","type":"thought","content":"x"}""", 400)]
    [InlineData("""{"agent_id":"a","session_id":"s","type":"action"}""", 400)]
    [InlineData("""{"agent_id":"a","session_id":"s","type":"action","content":null}""", 400)]
    [InlineData("""{"agent_id":"a","session_id":"s","type":"action","content":"x","metadata":[1]}""", 400)]
    [InlineData("""{"agent_id":"a","session_id":"s","type":"tool_call","content":{"tool":"search","args":[1,2]},"metadata":{"k":"v"}}""", 201)]
    [InlineData("""{"agent_id":"a","session_id":"s","type":"observation","content":42}""", 201)]
    public async Task EpisodeWritesAreValidated(string body, int status)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await tenant.Client.PostAsync("/v1/memory/episodic", content, ct);
        if (status == 400)
        {
            await Envelope.ReadErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        }
        else
        {
            var episode = await Envelope.ReadDataAsync(response, HttpStatusCode.Created);
            using var sent = JsonDocument.Parse(body);
            Assert.Equal(sent.RootElement.GetProperty("content").GetRawText(), episode.GetProperty("content").GetRawText());
        }
    }

    [Theory]
    [InlineData("/v1/memory/episodic/agent?limit=0")]
    [InlineData("/v1/memory/episodic/agent?limit=1001")]
    [InlineData("/v1/memory/episodic/agent?limit=ten")]
    [InlineData("/v1/memory/episodic/agent?type=dream")]
    [InlineData("/v1/memory/episodic/agent?from=yesterday")]
    [InlineData("/v1/memory/episodic/agent?cursor=not-a-cursor")]
    [InlineData("/v1/memory/episodic/agent?session_id=s%23x")]
    [InlineData("/v1/memory/episodic/a%23b")]
    [InlineData("/v1/memory/episodic/a%01b")]
    [InlineData("/v1/memory/episodic/agent/sessions/s%0D%0A1")]
    [InlineData("/v1/memory/episodic/agent/sessions/s%23EPISODE")]
    public async Task InvalidEpisodeQueriesAre400(string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync(path, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task AnOversizeEpisodeIs413()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("scale", ct);
        var response = await tenant.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "a", session_id = "s", type = "action", content = new string('x', 400_001) }, ct);
        await Envelope.ReadErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        Assert.Empty((await ListAsync(tenant.Client, "/v1/memory/episodic/a/sessions/s", ct)).Episodes);
    }

    private static string Data(string envelope)
    {
        using var document = JsonDocument.Parse(envelope);
        return document.RootElement.GetProperty("data").GetRawText();
    }
}
