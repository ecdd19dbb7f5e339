using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Memory;

/// <summary>The whole-agent routes (<c>/v1/memory</c>) and the episode summary.</summary>
public sealed class AgentMemoryClientTests(MnemoraApp system)
{
    private const string Agent = "assistant";

    [Fact]
    public async Task AWriteToTheUnifiedRouteLandsInTheMemoryItsShapeNames()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await system.RequireAsync(Routes.UnifiedStoreProbe, cancellationToken);
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        var state = await client.StoreAsync(new MemoryWrite { AgentId = Agent, Data = new JsonObject { ["mood"] = "calm" } }, cancellationToken);
        var episode = await client.StoreAsync(new MemoryWrite { AgentId = Agent, Type = EpisodeType.Observation, SessionId = "s", Content = "saw a bug" }, cancellationToken);
        var semantic = await client.StoreAsync(new MemoryWrite { AgentId = Agent, Content = "Bugs are filed in the tracker." }, cancellationToken);

        Assert.Equal(MemoryType.State, state.Kind);
        Assert.Equal("calm", state.State!.Data["mood"]!.GetValue<string>());
        Assert.Equal(MemoryType.Episodic, episode.Kind);
        Assert.Equal(EpisodeType.Observation, episode.Episode!.Type);
        Assert.Equal(MemoryType.Semantic, semantic.Kind);
        Assert.Equal(semantic.Semantic!.Id, (await client.GetMemoryAsync(semantic.Semantic.Id, cancellationToken)).Id);
    }

    [Fact]
    public async Task AnAgentsOverviewShowsItsStateNewestMemoriesAndEpisodes()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await system.RequireAsync(Routes.AgentMemoryProbe, cancellationToken);
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        await client.StoreStateAsync(Agent, new JsonObject { ["n"] = 1 }, cancellationToken: cancellationToken);
        var memory = await client.StoreMemoryAsync(Agent, "The customer prefers email.", cancellationToken: cancellationToken);
        var episode = await client.StoreEpisodeAsync(Agent, "s", EpisodeType.Action, "sent an email", cancellationToken: cancellationToken);

        var overview = await client.GetAgentMemoryAsync(Agent, cancellationToken);

        Assert.Equal(1, overview.State!.Data["n"]!.GetValue<int>());
        Assert.Equal(memory.Id, Assert.Single(overview.Semantic).Id);
        Assert.Equal(episode.Id, Assert.Single(overview.Episodic).Id);
        Assert.Null((await client.GetAgentMemoryAsync("nobody", cancellationToken)).State);
    }

    [Fact]
    public async Task ASearchOfAllMemorySaysWhichKindEachHitIs()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await system.RequireAsync(Routes.SearchAllProbe, cancellationToken);
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var memory = await client.StoreMemoryAsync(Agent, "Invoices are sent on the first of the month.", cancellationToken: cancellationToken);
        await client.StoreEpisodeAsync(Agent, "s", EpisodeType.Conversation, "When do invoices go out?", cancellationToken: cancellationToken);

        var hits = await client.SearchAllMemoryAsync("when are invoices sent", Agent, topK: 10, cancellationToken);

        var semantic = Assert.Single(hits, h => h.MemoryType == MemoryType.Semantic);
        Assert.Equal(memory.Id.ToString(), semantic.Id);
        Assert.NotNull(semantic.SimilarityScore);
        Assert.All(hits, h => Assert.Equal(Agent, h.AgentId));
    }

    [Fact]
    public async Task APurgeDeletesEveryKindOfMemoryOfThatAgentOnlyAndASecondReportsZeros()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await system.RequireAsync(Routes.PurgeProbe, cancellationToken);
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        await client.StoreStateAsync(Agent, new JsonObject { ["n"] = 1 }, cancellationToken: cancellationToken);
        var memory = await client.StoreMemoryAsync(Agent, "Forget me.", cancellationToken: cancellationToken);
        await client.StoreEpisodeAsync(Agent, "s", EpisodeType.Action, "did a thing", cancellationToken: cancellationToken);
        var kept = await client.StoreMemoryAsync("other-agent", "Keep me.", cancellationToken: cancellationToken);

        var purged = await client.PurgeAgentAsync(Agent, cancellationToken);
        var again = await client.PurgeAgentAsync(Agent, cancellationToken);

        Assert.Equal(Agent, purged.AgentId);
        Assert.Equal((1, 1, 1), (purged.StateDeleted, purged.SemanticDeleted, purged.EpisodesDeleted));
        Assert.Equal(purged.StateDeleted, purged.Deleted.State);
        Assert.Equal((0, 0, 0), (again.StateDeleted, again.SemanticDeleted, again.EpisodesDeleted));
        await Assert.ThrowsAsync<NotFoundException>(() => client.GetStateAsync(Agent, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => client.GetMemoryAsync(memory.Id, cancellationToken));
        Assert.Empty(await client.ListEpisodesAsync(Agent, cancellationToken: cancellationToken).ToListAsync(cancellationToken));
        Assert.Equal(kept.Id, (await client.GetMemoryAsync(kept.Id, cancellationToken)).Id);
    }

    [Fact]
    public async Task ASummaryOfEpisodesIsStoredAsASemanticMemory()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await system.RequireAsync(Routes.SummarizeProbe, cancellationToken);
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        await client.StoreEpisodeAsync(Agent, "s", EpisodeType.Conversation, "The customer asked about invoices.", cancellationToken: cancellationToken);
        await client.StoreEpisodeAsync(Agent, "s", EpisodeType.Conversation, "We explained invoices go out monthly.", cancellationToken: cancellationToken);

        var summary = await client.SummarizeEpisodesAsync(Agent, sessionId: "s", @namespace: "summaries", cancellationToken: cancellationToken);

        Assert.Equal("summaries", summary.Namespace);
        Assert.False(string.IsNullOrWhiteSpace(summary.Content));
        Assert.Equal(summary.Id, (await client.GetMemoryAsync(summary.Id, cancellationToken)).Id);
    }
}
