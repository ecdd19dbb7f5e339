using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Memory;

public sealed class EpisodicClientTests(MnemoraApp system) : IAsyncLifetime
{
    private const string Agent = "support-agent";

    public ValueTask InitializeAsync() => new(system.RequireAsync(Routes.EpisodicProbe, TestContext.Current.CancellationToken));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task AnEpisodeKeepsItsContentAndGetsAnIdAndTimestamp()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        var text = await client.StoreEpisodeAsync(Agent, "ticket-1", EpisodeType.Conversation, "Hello, I need help.", cancellationToken: cancellationToken);
        var call = await client.StoreEpisodeAsync(Agent, "ticket-1", EpisodeType.ToolCall, new JsonObject { ["tool"] = "lookup_order", ["args"] = new JsonObject { ["id"] = 42 } }, new JsonObject { ["ms"] = 12 }, cancellationToken);

        Assert.False(string.IsNullOrEmpty(text.Id));
        Assert.Equal("Hello, I need help.", text.Content.GetValue<string>());
        Assert.Equal(EpisodeType.ToolCall, call.Type);
        Assert.Equal(42, call.Content["args"]!["id"]!.GetValue<int>());
        Assert.Equal(12, call.Metadata["ms"]!.GetValue<int>());
        Assert.InRange(call.Timestamp, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.True(call.Timestamp >= text.Timestamp);
    }

    [Fact]
    public async Task ListingFollowsTheCursorAcrossPagesOldestFirst()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var stored = new List<Episode>();
        for (var i = 0; i < 7; i++)
        {
            stored.Add(await client.StoreEpisodeAsync(Agent, i % 2 == 0 ? "even" : "odd", i == 6 ? EpisodeType.Observation : EpisodeType.Action, $"step {i}", cancellationToken: cancellationToken));
        }

        var all = await client.ListEpisodesAsync(Agent, pageSize: 3, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        Assert.Equal(stored.Select(e => e.Id), all.Select(e => e.Id));

        var firstPage = await client.GetEpisodePageAsync(Agent, limit: 3, cancellationToken: cancellationToken);
        Assert.Equal(3, firstPage.Episodes.Count);
        Assert.NotNull(firstPage.NextCursor);
        var secondPage = await client.GetEpisodePageAsync(Agent, limit: 3, cursor: firstPage.NextCursor, cancellationToken: cancellationToken);
        Assert.Equal(stored[3].Id, secondPage.Episodes[0].Id);

        var even = await client.ListEpisodesAsync(Agent, new EpisodeFilter { SessionId = "even" }, pageSize: 2, cancellationToken).ToListAsync(cancellationToken);
        Assert.Equal(4, even.Count);
        Assert.All(even, e => Assert.Equal("even", e.SessionId));

        var observations = await client.ListEpisodesAsync(Agent, new EpisodeFilter { Type = EpisodeType.Observation }, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        Assert.Equal(stored[6].Id, Assert.Single(observations).Id);

        var window = await client.ListEpisodesAsync(Agent, new EpisodeFilter { From = stored[2].Timestamp, To = stored[4].Timestamp }, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        Assert.Contains(window, e => e.Id == stored[3].Id);
        Assert.DoesNotContain(window, e => e.Timestamp < stored[2].Timestamp || e.Timestamp > stored[4].Timestamp);

        // Enumerating lazily fetches no more pages than it needs.
        Assert.Equal(2, (await client.ListEpisodesAsync(Agent, pageSize: 1, cancellationToken: cancellationToken).Take(2).ToListAsync(cancellationToken)).Count);
    }

    [Fact]
    public async Task ASessionReplaysInOrderAndAnEmptyOneIsNotFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var first = await client.StoreEpisodeAsync(Agent, "ticket-9", EpisodeType.Conversation, "first", cancellationToken: cancellationToken);
        var second = await client.StoreEpisodeAsync(Agent, "ticket-9", EpisodeType.Conversation, "second", cancellationToken: cancellationToken);
        await client.StoreEpisodeAsync(Agent, "ticket-10", EpisodeType.Conversation, "elsewhere", cancellationToken: cancellationToken);

        var replay = await client.ReplaySessionAsync(Agent, "ticket-9", cancellationToken).ToListAsync(cancellationToken);

        Assert.Equal([first.Id, second.Id], replay.Select(e => e.Id));
        Assert.Empty(await client.ReplaySessionAsync(Agent, "no-such-ticket", cancellationToken).ToListAsync(cancellationToken));
    }

    [Fact]
    public async Task AnotherTenantsEpisodesAreNeitherListedNorReplayed()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var owner = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var other = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        await owner.StoreEpisodeAsync(Agent, "ticket-secret", EpisodeType.Conversation, "owner's conversation", cancellationToken: cancellationToken);

        Assert.Empty(await other.ListEpisodesAsync(Agent, cancellationToken: cancellationToken).ToListAsync(cancellationToken));
        Assert.Empty(await other.ReplaySessionAsync(Agent, "ticket-secret", cancellationToken).ToListAsync(cancellationToken));
        Assert.Single(await owner.ListEpisodesAsync(Agent, cancellationToken: cancellationToken).ToListAsync(cancellationToken));
    }

    [Fact]
    public async Task InvalidIdentifiersAndPageSizesAreValidationErrors()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        await Assert.ThrowsAsync<ValidationException>(() => client.StoreEpisodeAsync(Agent, "bad#session", EpisodeType.Action, "x", cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => client.GetEpisodePageAsync(Agent, limit: 1001, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => client.GetEpisodePageAsync(Agent, cursor: "not-a-cursor", cancellationToken: cancellationToken));
    }
}
