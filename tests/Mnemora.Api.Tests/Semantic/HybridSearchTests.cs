using System.Text;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>Search modes (hybrid, vector, keyword), scores, and the metadata filter.</summary>
public sealed class HybridSearchTests(MnemoraApp system)
{
    private const string Agent = "billing-bot";

    private static async Task<TestTenant> SeedAsync(MnemoraApp system)
    {
        var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        // Invoices that read alike: only the id tells them apart.
        await tenant.StoreAsync(new { agent_id = Agent, content = "Invoice INV-2024-7781-B was paid late.", metadata = new { amount = 120, region = "eu", paid = true } });
        await tenant.StoreAsync(new { agent_id = Agent, content = "Invoice INV-2024-7781-C was paid late.", metadata = new { amount = 80, region = "us" } });
        await tenant.StoreAsync(new { agent_id = Agent, content = "Invoice INV-2024-7718-B was paid late.", metadata = new { amount = 300, region = "eu", paid = false } });
        await tenant.StoreAsync(new { agent_id = Agent, content = "Customers settle their bills by bank transfer.", metadata = new { region = "apac" } });
        return tenant;
    }

    [Theory]
    [InlineData("hybrid")]
    [InlineData("keyword")]
    public async Task AnExactIdIsRankedFirstByWords(string? mode)
    {
        using var tenant = await SeedAsync(system);

        var results = await tenant.SearchAsync(new { query = "INV-2024-7781-B", agent_id = Agent, mode });

        Assert.Equal("Invoice INV-2024-7781-B was paid late.", results[0].Content());
        Assert.All(results, r => Assert.Equal(JsonValueKind.Number, r.GetProperty("score").ValueKind));
        Assert.All(results, r => Assert.InRange(r.GetProperty("similarity_score").GetDouble(), 0, 1));
        var scores = results.Select(r => r.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [Fact]
    public async Task APhrasingWithCommonWordsRanksAsByMeaningInHybridMode()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        const string Answer = "The staging database is wiped every Sunday night.";
        await tenant.StoreAsync(new { agent_id = Agent, content = Answer });
        // Each shares ordinary words with the question, none its meaning.
        foreach (var distractor in (string[])[
            "The fire alarm test takes place on the first Monday of the quarter.",
            "Data protection training is part of every new hire's first week.",
            "The environment team plants trees along the car park each spring.",
            "Customers get a receipt by e-mail after each payment."])
        {
            await tenant.StoreAsync(new { agent_id = Agent, content = distractor });
        }

        const string Question = "when does the test environment data get erased";
        var byMeaning = await tenant.SearchAsync(new { query = Question, agent_id = Agent, mode = "vector" });
        var hybrid = await tenant.SearchAsync(new { query = Question, agent_id = Agent, mode = "hybrid" });

        Assert.Equal(Answer, byMeaning[0].Content());
        Assert.Equal(Answer, hybrid[0].Content());
    }

    [Fact]
    public async Task KeywordModeFindsOnlyMemoriesHoldingTheWords()
    {
        using var tenant = await SeedAsync(system);

        var results = await tenant.SearchAsync(new { query = "bank transfer", agent_id = Agent, mode = "keyword" });

        Assert.Equal(["Customers settle their bills by bank transfer."], results.Select(r => r.Content()));
    }

    [Fact]
    public async Task VectorModeScoresBySimilarityAndKeepsTheThreshold()
    {
        using var tenant = await SeedAsync(system);

        var results = await tenant.SearchAsync(new { query = "how do customers pay", agent_id = Agent, mode = "vector", threshold = 0.2 });

        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal(r.GetProperty("similarity_score").GetDouble(), r.GetProperty("score").GetDouble(), 6));
        Assert.All(results, r => Assert.True(r.GetProperty("similarity_score").GetDouble() >= 0.2));
    }

    [Fact]
    public async Task FilterOperatorsSelectByMetadata()
    {
        using var tenant = await SeedAsync(system);

        async Task<string[]> Contents(object filter) =>
            [.. (await tenant.SearchAsync(new { query = "invoice paid late", agent_id = Agent, threshold = 0.0, filter })).Select(r => r.Content()).Order(StringComparer.Ordinal)];

        Assert.Equal(["Invoice INV-2024-7718-B was paid late."], await Contents(new Dictionary<string, object> { ["amount"] = new Dictionary<string, object> { ["$gt"] = 150 } }));
        Assert.Equal(
            ["Invoice INV-2024-7718-B was paid late.", "Invoice INV-2024-7781-B was paid late."],
            await Contents(new Dictionary<string, object> { ["region"] = "eu" }));
        Assert.Equal(
            ["Customers settle their bills by bank transfer.", "Invoice INV-2024-7781-C was paid late."],
            await Contents(new Dictionary<string, object> { ["paid"] = new Dictionary<string, object> { ["$exists"] = false } }));
        Assert.Equal(
            ["Customers settle their bills by bank transfer.", "Invoice INV-2024-7781-B was paid late."],
            await Contents(new Dictionary<string, object>
            {
                ["$or"] = new object[]
                {
                    new Dictionary<string, object> { ["region"] = new Dictionary<string, object> { ["$in"] = new[] { "apac" } } },
                    new Dictionary<string, object> { ["$and"] = new object[] { new Dictionary<string, object> { ["paid"] = true }, new Dictionary<string, object> { ["amount"] = new Dictionary<string, object> { ["$lte"] = 120 } } } },
                },
            }));
        Assert.Equal(
            ["Invoice INV-2024-7718-B was paid late.", "Invoice INV-2024-7781-B was paid late.", "Invoice INV-2024-7781-C was paid late."],
            await Contents(new Dictionary<string, object> { ["region"] = new Dictionary<string, object> { ["$ne"] = "apac" } }));
    }

    [Fact]
    public async Task TheCreationWindowBoundsTheResults()
    {
        using var tenant = await SeedAsync(system);

        var future = await tenant.SearchAsync(new { query = "invoice", agent_id = Agent, created_after = DateTimeOffset.UtcNow.AddDays(1).ToString("O") });
        var past = await tenant.SearchAsync(new { query = "invoice", agent_id = Agent, created_before = DateTimeOffset.UtcNow.AddDays(1).ToString("O") });

        Assert.Empty(future);
        Assert.NotEmpty(past);
    }

    public static TheoryData<string> InvalidSearches => new()
    {
        """{"query": "x", "mode": "fuzzy"}""",
        """{"query": "x", "mode": 3}""",
        """{"query": "x", "filter": []}""",
        """{"query": "x", "filter": {"a": {"$regex": "x"}}}""",
        """{"query": "x", "filter": {"$where": "1=1"}}""",
        """{"query": "x", "filter": {"a": {"$in": "x"}}}""",
        """{"query": "x", "filter": {"a": {"$gt": {"b": 1}}}}""",
        """{"query": "x", "filter": {"$and": [{"$or": [{"$and": [{"$or": [{"$and": [{"a": 1}]}]}]}]}]}}""",
        """{"query": "x", "created_after": "yesterday"}""",
        """{"query": "x", "created_before": 5}""",
    };

    [Theory]
    [MemberData(nameof(InvalidSearches))]
    public async Task AnInvalidModeFilterOrWindowIsAValidationError(string body)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        var response = await tenant.Client.PostAsync("/v1/memory/semantic/search", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task AFilterWithTooManyConditionsIsAValidationError()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var filter = "{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"k{i}\": {i}")) + "}";

        var response = await tenant.Client.PostAsync(
            "/v1/memory/semantic/search", new StringContent($$"""{"query": "x", "filter": {{filter}}}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }
}
