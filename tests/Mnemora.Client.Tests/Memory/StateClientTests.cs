using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Memory;

public sealed class StateClientTests(MnemoraApp system) : IAsyncLifetime
{
    private const string Agent = "planner";

    public ValueTask InitializeAsync() => new(system.RequireAsync(Routes.StateProbe, TestContext.Current.CancellationToken));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task StateIsCreatedOverwrittenReadListedAndDeleted()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        var created = await client.StoreStateAsync(Agent, new JsonObject { ["step"] = 1 }, sessionId: "s1", cancellationToken: cancellationToken);
        Assert.Equal(1, created.Version);
        Assert.Equal(Agent, created.AgentId);
        Assert.Equal("s1", created.SessionId);
        Assert.Null(created.ExpiresAt);
        Assert.Equal(TimeSpan.Zero, created.CreatedAt.Offset);

        var overwritten = await client.StoreStateAsync(Agent, new JsonObject { ["step"] = 2, ["plan"] = new JsonArray("a", "b") }, sessionId: "s1", cancellationToken: cancellationToken);
        Assert.Equal(2, overwritten.Version);

        var read = await client.GetStateAsync(Agent, "s1", cancellationToken);
        Assert.Equal(2, read.Version);
        Assert.Equal(2, read.Data["step"]!.GetValue<int>());
        Assert.Equal("b", read.Data["plan"]![1]!.GetValue<string>());

        await client.StoreStateAsync(Agent, new JsonObject { ["x"] = true }, cancellationToken: cancellationToken);
        Assert.Equal(["default", "s1"], [.. (await client.ListStateSessionsAsync(Agent, cancellationToken)).Order(StringComparer.Ordinal)]);
        Assert.Equal("default", (await client.GetStateAsync(Agent, cancellationToken: cancellationToken)).SessionId);

        await client.DeleteStateAsync(Agent, "s1", cancellationToken);
        await Assert.ThrowsAsync<NotFoundException>(() => client.GetStateAsync(Agent, "s1", cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => client.DeleteStateAsync(Agent, "s1", cancellationToken));
    }

    [Fact]
    public async Task AnUpdateAtTheCurrentVersionSucceedsAndAStaleOneIsAConflict()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var first = await client.StoreStateAsync(Agent, new JsonObject { ["n"] = 1 }, cancellationToken: cancellationToken);

        var second = await client.UpdateStateAsync(Agent, new JsonObject { ["n"] = 2 }, first.Version, cancellationToken: cancellationToken);
        var stale = await Assert.ThrowsAsync<ConflictException>(() => client.UpdateStateAsync(Agent, new JsonObject { ["n"] = 3 }, first.Version, cancellationToken: cancellationToken));

        Assert.Equal(first.Version + 1, second.Version);
        Assert.Equal(HttpStatusCode.Conflict, stale.Status);
        Assert.Equal(2, (await client.GetStateAsync(Agent, cancellationToken: cancellationToken)).Data["n"]!.GetValue<int>());
        await Assert.ThrowsAsync<NotFoundException>(() => client.UpdateStateAsync(Agent, new JsonObject(), 1, sessionId: "missing", cancellationToken: cancellationToken));
    }

    [Fact]
    public async Task StateWithATimeToLiveCarriesItsExpiry()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        var state = await client.StoreStateAsync(Agent, new JsonObject(), timeToLive: TimeSpan.FromHours(2), cancellationToken: cancellationToken);

        Assert.NotNull(state.ExpiresAt);
        Assert.InRange(state.ExpiresAt.Value - state.UpdatedAt, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(5), TimeSpan.FromHours(2) + TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.StoreStateAsync(Agent, new JsonObject(), timeToLive: TimeSpan.FromMinutes(90), cancellationToken: cancellationToken));
    }

    [Fact]
    public async Task AnotherTenantsStateIsNotFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var owner = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var other = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var state = await owner.StoreStateAsync(Agent, new JsonObject { ["secret"] = "owner's" }, sessionId: "private", cancellationToken: cancellationToken);

        await Assert.ThrowsAsync<NotFoundException>(() => other.GetStateAsync(Agent, "private", cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => other.UpdateStateAsync(Agent, new JsonObject(), state.Version, "private", cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => other.DeleteStateAsync(Agent, "private", cancellationToken));
        Assert.Empty(await other.ListStateSessionsAsync(Agent, cancellationToken));
        Assert.Equal("owner's", (await owner.GetStateAsync(Agent, "private", cancellationToken)).Data["secret"]!.GetValue<string>());
    }

    [Fact]
    public async Task StateOverFourHundredKilobytesIsTooLarge()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        var error = await Assert.ThrowsAsync<PayloadTooLargeException>(() =>
            client.StoreStateAsync(Agent, new JsonObject { ["blob"] = new string('x', 410 * 1024) }, cancellationToken: cancellationToken));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, error.Status);
    }

    [Theory]
    [InlineData("line\nbreak")]
    [InlineData("del\u007F")]
    [InlineData("hash#tag")]
    public async Task AnInvalidAgentIdIsAValidationError(string agentId)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        await Assert.ThrowsAsync<ValidationException>(() => client.StoreStateAsync(agentId, new JsonObject(), cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => client.GetStateAsync(agentId, cancellationToken: cancellationToken));
    }

    [Theory]
    [InlineData("user/42")]
    [InlineData("crew agent")]
    [InlineData("thread-1|child:1")]
    [InlineData("Müller")]
    [InlineData("a%2Fb")]
    public async Task IdsAsFrameworksSendThemGoThroughTheClientsPathsUnchanged(string agentId)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        await client.StoreStateAsync(agentId, new JsonObject { ["owner"] = agentId }, sessionId: "ns:parent|child:1", cancellationToken: cancellationToken);
        var state = await client.GetStateAsync(agentId, "ns:parent|child:1", cancellationToken);

        Assert.Equal(agentId, state.AgentId);
        Assert.Equal(agentId, state.Data["owner"]!.GetValue<string>());
        Assert.Equal(["ns:parent|child:1"], await client.ListStateSessionsAsync(agentId, cancellationToken));
        await client.DeleteStateAsync(agentId, "ns:parent|child:1", cancellationToken);
        await Assert.ThrowsAsync<NotFoundException>(() => client.GetStateAsync(agentId, "ns:parent|child:1", cancellationToken));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task ADotSegmentIdIsRefusedByTheServerInABodyAndByTheClientInAPath(string agentId)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        await Assert.ThrowsAsync<ValidationException>(() => client.StoreStateAsync(agentId, new JsonObject(), cancellationToken: cancellationToken));
        // HTTP stacks remove dot-segments from paths, so such a request would reach another route: the client refuses it.
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetStateAsync(agentId, cancellationToken: cancellationToken));
    }
}
