using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Memory;

public sealed class SemanticClientTests(MnemoraApp system) : IAsyncLifetime
{
    private const string Agent = "support-agent";

    public ValueTask InitializeAsync() => new(system.RequireAsync(Routes.SemanticProbe, TestContext.Current.CancellationToken));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task AMemoryIsStoredReadFoundByMeaningAndDeleted()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        var stored = await client.StoreMemoryAsync(Agent, "To reset your password, open Settings and choose 'Reset password'.", "help", new JsonObject { ["topic"] = "account" }, cancellationToken);
        await client.StoreMemoryAsync(Agent, "The office coffee machine is on the third floor.", "help", new JsonObject { ["topic"] = "office" }, cancellationToken);
        Assert.False(stored.Deduplicated);
        Assert.Equal("help", stored.Namespace);
        Assert.Null(stored.SimilarityScore);

        var read = await client.GetMemoryAsync(stored.Id, cancellationToken);
        Assert.Equal(stored.Content, read.Content);
        Assert.Equal("account", read.Metadata["topic"]!.GetValue<string>());

        var found = await client.SearchMemoryAsync("how do I change my password", agentId: Agent, @namespace: "help", topK: 1, cancellationToken: cancellationToken);
        var best = Assert.Single(found);
        Assert.Equal(stored.Id, best.Id);
        Assert.InRange(best.SimilarityScore!.Value, 0.3, 1.0);

        var filtered = await client.SearchMemoryAsync("how do I change my password", metadataFilter: new JsonObject { ["topic"] = "office" }, cancellationToken: cancellationToken);
        Assert.DoesNotContain(filtered, m => m.Id == stored.Id);

        await client.DeleteMemoryAsync(stored.Id, cancellationToken);
        await Assert.ThrowsAsync<NotFoundException>(() => client.GetMemoryAsync(stored.Id, cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => client.DeleteMemoryAsync(stored.Id, cancellationToken));
        Assert.DoesNotContain(await client.SearchMemoryAsync("reset password", cancellationToken: cancellationToken), m => m.Id == stored.Id);
    }

    [Fact]
    public async Task AListIsNarrowedByMetadataOperatorsAndCreationTime()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var low = await client.StoreMemoryAsync(Agent, "The parking garage closes at midnight.", metadata: new JsonObject { ["priority"] = 1 }, cancellationToken: cancellationToken);
        var high = await client.StoreMemoryAsync(Agent, "Payroll runs on the last Friday of the month.", metadata: new JsonObject { ["priority"] = 3 }, cancellationToken: cancellationToken);

        var urgent = await client.ListMemoriesAsync(Agent, filter: new JsonObject { ["priority"] = new JsonObject { ["$gte"] = 2 } }, cancellationToken: cancellationToken);
        Assert.Equal([high.Id], urgent.Memories.Select(m => m.Id));
        var older = await client.ListMemoriesAsync(Agent, createdBefore: high.CreatedAt, cancellationToken: cancellationToken);
        Assert.Equal([low.Id], older.Memories.Select(m => m.Id));
        await Assert.ThrowsAsync<ValidationException>(() => client.ListMemoriesAsync(Agent, filter: new JsonObject { ["a"] = new JsonObject { ["$regex"] = "x" } }, cancellationToken: cancellationToken));
    }

    [Fact]
    public async Task EveryMemoryIsEnumeratedAcrossPagesNewestFirst()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        string[] facts =
        [
            "The office opens at eight.", "Invoices are due within thirty days.", "The VPN needs a hardware token.",
            "Lunch is served in the atrium.", "Expense reports go to finance by Friday.",
        ];
        var stored = new List<Guid>();
        foreach (var fact in facts)
        {
            stored.Add((await client.StoreMemoryAsync(Agent, fact, cancellationToken: cancellationToken)).Id);
        }

        // Two a page: three calls, each made only when the enumeration reaches it.
        var listed = new List<Guid>();
        await foreach (var memory in client.ListAllMemoriesAsync(Agent, pageSize: 2, cancellationToken: cancellationToken))
        {
            listed.Add(memory.Id);
        }

        Assert.Equal(Enumerable.Reverse(stored), listed);
    }

    [Fact]
    public async Task ANearDuplicateIsMergedIntoTheExistingMemory()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        var first = await client.StoreMemoryAsync(Agent, "Refunds are processed within five business days.", metadata: new JsonObject { ["a"] = 1 }, cancellationToken: cancellationToken);
        var again = await client.StoreMemoryAsync(Agent, "Refunds are processed within five business days.", metadata: new JsonObject { ["b"] = 2 }, cancellationToken: cancellationToken);

        Assert.True(again.Deduplicated);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(1, again.Metadata["a"]!.GetValue<int>());
        Assert.Equal(2, again.Metadata["b"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnotherTenantsMemoryIsNeitherReadableNorFound()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var owner = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var other = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;
        var secret = await owner.StoreMemoryAsync(Agent, "The launch code word for project Nightjar is 'amber falcon'.", cancellationToken: cancellationToken);

        await Assert.ThrowsAsync<NotFoundException>(() => other.GetMemoryAsync(secret.Id, cancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => other.DeleteMemoryAsync(secret.Id, cancellationToken));
        Assert.Empty(await other.SearchMemoryAsync("project Nightjar launch code word", threshold: 0, cancellationToken: cancellationToken));
        Assert.Contains(await owner.SearchMemoryAsync("project Nightjar launch code word", cancellationToken: cancellationToken), m => m.Id == secret.Id);
    }

    [Fact]
    public async Task EmptyContentAndOutOfRangeSearchesAreValidationErrors()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var client = (await system.CreateTenantAsync(cancellationToken: cancellationToken)).Client;

        await Assert.ThrowsAsync<ValidationException>(() => client.StoreMemoryAsync(Agent, "  ", cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => client.SearchMemoryAsync("q", topK: 0, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => client.SearchMemoryAsync("q", threshold: 1.5, cancellationToken: cancellationToken));
        await Assert.ThrowsAsync<ValidationException>(() => client.StoreMemoryAsync("bad#agent", "text", cancellationToken: cancellationToken));
    }
}
