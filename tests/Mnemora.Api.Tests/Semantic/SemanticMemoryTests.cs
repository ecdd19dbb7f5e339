using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

public sealed class SemanticMemoryTests(MnemoraApp system)
{
    [Fact]
    public async Task StoringAMemoryReturnsItWithItsIdAndDefaults()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        var stored = await tenant.StoreAsync(new { agent_id = "support", content = "The office closes at 6 pm on Fridays." });

        Assert.True(Guid.TryParse(stored.Id(), out _));
        Assert.Equal("support", stored.GetProperty("agent_id").GetString());
        Assert.Equal("The office closes at 6 pm on Fridays.", stored.Content());
        Assert.Equal("default", stored.GetProperty("namespace").GetString());
        Assert.Equal(JsonValueKind.Object, stored.GetProperty("metadata").ValueKind);
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("similarity_score").ValueKind);
        Assert.False(stored.GetProperty("deduplicated").GetBoolean());
        Assert.EndsWith("Z", stored.GetProperty("created_at").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("Z", stored.GetProperty("updated_at").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoredMemoryCanBeReadBackById()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var stored = await tenant.StoreAsync(new { agent_id = "support", content = "Refunds take five business days.", @namespace = "billing", metadata = new { source = "faq", rank = 3 } });

        var read = await Envelope.ReadDataAsync(await tenant.GetMemoryAsync(stored.Id()), HttpStatusCode.OK);

        Assert.Equal(stored.Id(), read.Id());
        Assert.Equal("Refunds take five business days.", read.Content());
        Assert.Equal("billing", read.GetProperty("namespace").GetString());
        Assert.Equal("faq", read.GetProperty("metadata").GetProperty("source").GetString());
        Assert.Equal(3, read.GetProperty("metadata").GetProperty("rank").GetInt32());
    }

    [Fact]
    public async Task SearchFindsAMemoryByMeaningWithItsSimilarity()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "support", content = "To reset your password, open Settings and choose Forgot password." });
        await tenant.StoreAsync(new { agent_id = "support", content = "Our headquarters are in Lisbon." });

        var results = await tenant.SearchAsync(new { query = "how do I reset my password", agent_id = "support" });

        Assert.NotEmpty(results);
        Assert.Contains("reset your password", results[0].Content(), StringComparison.Ordinal);
        var score = results[0].GetProperty("similarity_score").GetDouble();
        Assert.InRange(score, 0.5, 1.0);
        Assert.All(results.Zip(results.Skip(1)), pair =>
            Assert.True(pair.First.GetProperty("similarity_score").GetDouble() >= pair.Second.GetProperty("similarity_score").GetDouble()));
    }

    [Fact]
    public async Task ADeletedMemoryIsGoneFromReadsAndSearchAtOnce()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var stored = await tenant.StoreAsync(new { agent_id = "support", content = "The staging database password rotates monthly." });

        var deleted = await tenant.DeleteMemoryAsync(stored.Id());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        await Envelope.ReadErrorAsync(await tenant.GetMemoryAsync(stored.Id()), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Empty(await tenant.SearchAsync(new { query = "staging database password rotation", threshold = 0.0 }));
        await Envelope.ReadErrorAsync(await tenant.DeleteMemoryAsync(stored.Id()), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ANearDuplicateMergesIntoTheExistingMemoryWithMetadataMerged()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var first = await tenant.StoreAsync(new { agent_id = "support", content = "Paris is the capital of France", metadata = new { source = "atlas", confidence = 0.5 } });

        var second = await tenant.StoreAsync(
            new { agent_id = "support", content = "Paris is the capital of France.", metadata = new { confidence = 0.9, reviewed = true } },
            HttpStatusCode.OK);

        Assert.True(second.GetProperty("deduplicated").GetBoolean());
        Assert.Equal(first.Id(), second.Id());
        var metadata = second.GetProperty("metadata");
        Assert.Equal("atlas", metadata.GetProperty("source").GetString());
        Assert.Equal(0.9, metadata.GetProperty("confidence").GetDouble());
        Assert.True(metadata.GetProperty("reviewed").GetBoolean());
        Assert.Single(await tenant.SearchAsync(new { query = "capital of France", threshold = 0.0 }));
    }

    [Fact]
    public async Task DuplicatesAreOnlyMergedWithinTheSameAgentAndNamespace()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        const string fact = "The API rate limit is 500 calls per day.";
        var first = await tenant.StoreAsync(new { agent_id = "support", content = fact });

        var otherNamespace = await tenant.StoreAsync(new { agent_id = "support", content = fact, @namespace = "limits" });
        var otherAgent = await tenant.StoreAsync(new { agent_id = "sales", content = fact });
        var unrelated = await tenant.StoreAsync(new { agent_id = "support", content = "Invoices are emailed on the first of the month." });

        Assert.Equal(4, new[] { first.Id(), otherNamespace.Id(), otherAgent.Id(), unrelated.Id() }.Distinct().Count());
    }

    [Fact]
    public async Task ConcurrentStoresOfTheSameTextKeepOneMemory()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "support", content = "Support is open 24/7 by chat." }, cancellationToken)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Single(await tenant.SearchAsync(new { query = "Support is open 24/7 by chat.", threshold = 0.0 }));
    }

    [Fact]
    public async Task SearchFiltersByAgentAndNamespaceOrSpansTheWholeTenant()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "support", content = "Shipping to Canada takes a week.", @namespace = "shipping" });
        await tenant.StoreAsync(new { agent_id = "support", content = "Shipping to Spain takes three days.", @namespace = "eu" });
        await tenant.StoreAsync(new { agent_id = "sales", content = "Shipping is free above 50 euros.", @namespace = "shipping" });

        var everything = await tenant.SearchAsync(new { query = "shipping", threshold = 0.0 });
        var support = await tenant.SearchAsync(new { query = "shipping", agent_id = "support", threshold = 0.0 });
        var shipping = await tenant.SearchAsync(new { query = "shipping", @namespace = "shipping", threshold = 0.0 });
        var supportShipping = await tenant.SearchAsync(new { query = "shipping", agent_id = "support", @namespace = "shipping", threshold = 0.0 });

        Assert.Equal(3, everything.Length);
        Assert.Equal(2, support.Length);
        Assert.All(support, r => Assert.Equal("support", r.GetProperty("agent_id").GetString()));
        Assert.Equal(2, shipping.Length);
        Assert.All(shipping, r => Assert.Equal("shipping", r.GetProperty("namespace").GetString()));
        Assert.Equal("Shipping to Canada takes a week.", Assert.Single(supportShipping).Content());
    }

    [Fact]
    public async Task MetadataFilterKeepsOnlyMemoriesWhoseMetadataContainsEveryKey()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "kb", content = "Printers are on the second floor.", metadata = new { building = "north", floor = 2 } });
        await tenant.StoreAsync(new { agent_id = "kb", content = "Printers are in the basement.", metadata = new { building = "south", floor = 2 } });
        await tenant.StoreAsync(new { agent_id = "kb", content = "Printers need a badge to release jobs.", metadata = new { building = "north", floor = 1 } });

        var north = await tenant.SearchAsync(new { query = "where are the printers", threshold = 0.0, metadata_filter = new { building = "north" } });
        var northSecond = await tenant.SearchAsync(new { query = "where are the printers", threshold = 0.0, metadata_filter = new { building = "north", floor = 2 } });
        var nowhere = await tenant.SearchAsync(new { query = "where are the printers", threshold = 0.0, metadata_filter = new { building = "west" } });

        Assert.Equal(2, north.Length);
        Assert.All(north, r => Assert.Equal("north", r.GetProperty("metadata").GetProperty("building").GetString()));
        Assert.Equal("Printers are on the second floor.", Assert.Single(northSecond).Content());
        Assert.Empty(nowhere);
    }

    [Fact]
    public async Task ThresholdDropsMatchesBelowIt()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "kb", content = "The cafeteria serves lunch from noon to two." });
        await tenant.StoreAsync(new { agent_id = "kb", content = "Quarterly taxes are due in April." });

        var all = await tenant.SearchAsync(new { query = "when is lunch served", threshold = 0.0 });
        var strict = await tenant.SearchAsync(new { query = "when is lunch served", threshold = 0.5 });
        var impossible = await tenant.SearchAsync(new { query = "when is lunch served", threshold = 1.0 });

        Assert.Equal(2, all.Length);
        Assert.Equal("The cafeteria serves lunch from noon to two.", Assert.Single(strict).Content());
        Assert.All(strict, r => Assert.True(r.GetProperty("similarity_score").GetDouble() >= 0.5));
        Assert.Empty(impossible);
    }

    [Fact]
    public async Task TopKLimitsTheResultsAndDefaultsToTen()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        for (var i = 0; i < 12; i++)
        {
            await tenant.StoreAsync(new { agent_id = "kb", content = $"Room {i * 17} is booked by team {(char)('A' + i)} for {i + 2} hours on day {i * 3 % 7}." });
        }

        Assert.Equal(10, (await tenant.SearchAsync(new { query = "room booking", threshold = 0.0 })).Length);
        Assert.Equal(3, (await tenant.SearchAsync(new { query = "room booking", threshold = 0.0, top_k = 3 })).Length);
        Assert.Single(await tenant.SearchAsync(new { query = "room booking", threshold = 0.0, top_k = 1 }));
        Assert.Equal(12, (await tenant.SearchAsync(new { query = "room booking", threshold = 0.0, top_k = 100 })).Length);
    }

    public static TheoryData<string> InvalidSearches => new()
    {
        """{"query": "x", "top_k": 0}""",
        """{"query": "x", "top_k": 101}""",
        """{"query": "x", "threshold": -0.1}""",
        """{"query": "x", "threshold": 1.5}""",
        """{"query": ""}""",
        """{"query": "   "}""",
        """{}""",
        """{"query": "x", "agent_id": "bad#agent"}""",
        """{"query": "x", "namespace": "a\u0000b"}""",
        """{"query": "x", "metadata_filter": ["a"]}""",
        """{"query": "x", "metadata_filter": "a"}""",
        """{"query": "x", "top_k": "ten"}""",
    };

    [Theory]
    [MemberData(nameof(InvalidSearches))]
    public async Task AnInvalidSearchIsAValidationError(string body)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        var response = await tenant.Client.PostAsync("/v1/memory/semantic/search", Json(body), TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    public static TheoryData<string> InvalidStores => new()
    {
        """{"content": "no agent"}""",
        """{"agent_id": "", "content": "x"}""",
        """{"agent_id": "a#b", "content": "x"}""",
        """{"agent_id": "..", "content": "x"}""",
        """{"agent_id": "a", "content": ""}""",
        """{"agent_id": "a"}""",
        """{"agent_id": "a", "content": "x", "namespace": "has#hash"}""",
        """{"agent_id": "a", "content": "x", "namespace": ""}""",
        """{"agent_id": "a", "content": "x", "metadata": [1, 2]}""",
        """{"agent_id": "a", "content": "x", "metadata": "text"}""",
        """{"agent_id": "a", "content": "nul \u0000 inside"}""",
        """{"agent_id": "a", "content": "x", "metadata": {"k": "nul \u0000"}}""",
        """{"agent_id": "a", "content": 42}""",
        """not json""",
    };

    [Theory]
    [MemberData(nameof(InvalidStores))]
    public async Task AnInvalidStoreIsAValidationErrorAndWritesNothing(string body)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        var response = await tenant.Client.PostAsync("/v1/memory/semantic", Json(body), TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(response, HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Empty(await tenant.SearchAsync(new { query = "x", threshold = 0.0 }));
    }

    [Fact]
    public async Task AnIdThatIsNotAUuidIsAValidationErrorAndAnUnknownOneIsNotFound()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(await tenant.GetMemoryAsync("not-a-uuid"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await tenant.DeleteMemoryAsync("not-a-uuid"), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await tenant.GetMemoryAsync(Guid.NewGuid().ToString()), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await tenant.DeleteMemoryAsync(Guid.NewGuid().ToString()), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task ContentTooLargeIsRefusedAsPayloadTooLarge()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        var response = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "a", content = new string('x', 100_001) }, TestContext.Current.CancellationToken);

        await Envelope.ReadErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
}
