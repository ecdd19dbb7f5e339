using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Mnemora.Client.Tests.Resilience;

/// <summary>What the client puts on the wire, read from a scripted server; the answers' handling is tested against the real system.</summary>
public sealed class WireFormatTests
{
    private const string State = """{"agent_id":"a","session_id":"default","data":{},"version":1,"created_at":"2026-11-28T10:00:00Z","updated_at":"2026-11-28T10:00:00Z","expires_at":"2026-11-28T11:00:00Z"}""";

    [Fact]
    public async Task RequestBodiesAreSnakeCaseWithoutUnsetMembers()
    {
        var server = new StubServer(() => StubServer.Data(HttpStatusCode.OK, """{"results":[]}"""));

        await ClientOver(server).SearchMemoryAsync("q", agentId: "a", topK: 3, metadataFilter: new JsonObject { ["lang"] = "en" }, cancellationToken: TestContext.Current.CancellationToken);

        using var body = JsonDocument.Parse(server.Requests.Single().Body!);
        Assert.Equal(["query", "agent_id", "top_k", "metadata_filter"], body.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("/v1/memory/semantic/search", server.Requests.Single().Path);
    }

    [Fact]
    public async Task AUnifiedStateWriteSendsItsTimeToLiveInHoursAndNotItsKind()
    {
        var server = new StubServer(() => StubServer.Data(HttpStatusCode.Created, State));

        var stored = await ClientOver(server).StoreAsync(
            new MemoryWrite { AgentId = "a", Data = new JsonObject(), TimeToLive = TimeSpan.FromHours(1) }, TestContext.Current.CancellationToken);

        using var body = JsonDocument.Parse(server.Requests.Single().Body!);
        Assert.Equal(1, body.RootElement.GetProperty("ttl_hours").GetInt32());
        Assert.False(body.RootElement.TryGetProperty("kind", out _));
        Assert.False(body.RootElement.TryGetProperty("time_to_live", out _));
        Assert.Equal(MemoryType.State, stored.Kind);
        Assert.NotNull(stored.State!.ExpiresAt);
    }

    [Fact]
    public async Task EpisodeFiltersAndTheCursorGoInTheQueryString()
    {
        var server = new StubServer(() => StubServer.Data(HttpStatusCode.OK, """{"episodes":[],"next_cursor":null}"""));
        var filter = new EpisodeFilter { SessionId = "s 1", Type = EpisodeType.ToolCall, From = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.FromHours(2)) };

        await ClientOver(server).GetEpisodePageAsync("a", filter, limit: 5, cursor: "c+/=", cancellationToken: TestContext.Current.CancellationToken);

        var request = server.Requests.Single();
        Assert.Equal("/v1/memory/episodic/a", request.Path);
        Assert.Equal("?session_id=s%201&type=tool_call&from=2026-11-28T10%3A00%3A00.0000000Z&limit=5&cursor=c%2B%2F%3D", request.Query);
    }

    [Fact]
    public async Task AnIdWithASlashStaysOnePathSegment()
    {
        var server = new StubServer(() => StubServer.Data(HttpStatusCode.OK, """{"sessions":[]}"""));

        await ClientOver(server).ListStateSessionsAsync("a/b", TestContext.Current.CancellationToken);

        Assert.Equal("/v1/state/a%2Fb/sessions", server.Requests.Single().Path);
    }

    private static MnemoraClient ClientOver(StubServer server)
    {
        var services = new ServiceCollection();
        services.AddMnemoraClient(options => options.BaseAddress = new Uri("http://mnemora.stub"))
            .ConfigurePrimaryHttpMessageHandler(() => server);
        return services.BuildServiceProvider().GetRequiredService<IMnemoraClientFactory>().CreateClient("mnm_stub");
    }
}
