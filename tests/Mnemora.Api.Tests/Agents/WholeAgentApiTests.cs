using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Tests.Agents;

/// <summary><c>POST /v1/memory</c> (routing by shape), <c>GET /v1/memory/{agent_id}</c> and <c>POST /v1/memory/search</c>.</summary>
public sealed class WholeAgentApiTests(MnemoraApp system)
{
    private const string Agent = "assistant";

    [Fact]
    public async Task AWriteToTheUnifiedRouteLandsWhereItsShapeSaysWithThatRoutesResponse()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var api = tenant.Client;

        var state = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, data = new { mood = "calm" }, ttl_hours = 2 }, ct), HttpStatusCode.Created);
        Assert.Equal("default", state.GetProperty("session_id").GetString());
        Assert.Equal(1, state.GetProperty("version").GetInt64());
        Assert.Equal(JsonValueKind.String, state.GetProperty("expires_at").ValueKind);
        var again = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, data = new { mood = "busy" } }, ct), HttpStatusCode.Created);
        Assert.Equal(2, again.GetProperty("version").GetInt64());
        Assert.Equal("busy", (await Envelope.ReadDataAsync(await api.GetAsync($"/v1/state/{Agent}", ct), HttpStatusCode.OK)).GetProperty("data").GetProperty("mood").GetString());

        var episode = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, session_id = "s", type = "observation", content = new { saw = "a bug" } }, ct), HttpStatusCode.Created);
        Assert.Equal("observation", episode.GetProperty("type").GetString());
        Assert.Equal("a bug", episode.GetProperty("content").GetProperty("saw").GetString());
        var listed = await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/episodic/{Agent}", ct), HttpStatusCode.OK);
        Assert.Equal(episode.GetProperty("id").GetString(), Assert.Single(listed.GetProperty("episodes").EnumerateArray()).GetProperty("id").GetString());

        // Content alone is semantic memory, as is content with a session but no type.
        var memory = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, content = "Bugs are filed in the tracker.", session_id = "s" }, ct), HttpStatusCode.Created);
        Assert.False(memory.GetProperty("deduplicated").GetBoolean());
        Assert.Equal("default", memory.GetProperty("namespace").GetString());
        var merged = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory", new { agent_id = Agent, content = "Bugs are filed in the tracker.", metadata = new { team = "qa" } }, ct), HttpStatusCode.OK);
        Assert.True(merged.GetProperty("deduplicated").GetBoolean());
        Assert.Equal(memory.GetProperty("id").GetString(), merged.GetProperty("id").GetString());
        await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/semantic/{memory.GetProperty("id").GetString()}", ct), HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheUnifiedRouteRefusesWhatTheTargetRouteRefuses()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var api = tenant.Client;

        async Task RefusedAsync(string json, HttpStatusCode status = HttpStatusCode.BadRequest, string code = "VALIDATION_ERROR")
        {
            using var body = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
            await Envelope.ReadErrorAsync(await api.PostAsync("/v1/memory", body, ct), status, code);
        }

        await RefusedAsync("""[]""");
        await RefusedAsync("""{}""");
        await RefusedAsync("""not json""");
        await RefusedAsync("""{"agent_id":"a","data":5}""");
        await RefusedAsync("""{"agent_id":"a#b","data":{}}""");
        await RefusedAsync("""{"agent_id":"a","data":{},"ttl_hours":0}""");
        await RefusedAsync("""{"agent_id":"a","data":{},"ttl_hours":"soon"}""");
        await RefusedAsync("""{"agent_id":"a","type":"dream","session_id":"s","content":"x"}""");
        await RefusedAsync("""{"agent_id":"a","type":"action","session_id":"s#1","content":"x"}""");
        await RefusedAsync("""{"agent_id":"a","type":"action","session_id":"s"}""");
        await RefusedAsync("""{"agent_id":"a","content":"   "}""");
        await RefusedAsync("""{"agent_id":"a","content":"x","namespace":"a#b"}""");
        await RefusedAsync(JsonSerializer.Serialize(new { agent_id = "a", data = new { big = new string('x', 400_001) } }), HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");

        // Nothing was written by any refused call.
        Assert.Equal(0, (await PurgeTests.UsageAsync(api, ct)).GetProperty("agents_count").GetInt64());
    }

    [Fact]
    public async Task AnAgentsSnapshotHasItsDefaultStateFiveNewestMemoriesAndTenNewestEpisodesHotOrCold()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        await using var stores = await AgentStores.OpenAsync(system);
        var api = tenant.Client;
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = Agent, session_id = "other", data = new { n = 0 } }, ct), HttpStatusCode.Created);
        var empty = await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/{Agent}", ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("state").ValueKind);

        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = Agent, data = new { n = 1 } }, ct), HttpStatusCode.Created);
        var memories = new List<string>();
        foreach (var topic in (string[])["invoices", "refunds", "shipping to Canada", "passwords", "dark mode", "the holiday schedule", "webhooks"])
        {
            var stored = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = Agent, content = $"Everything the customer asked about {topic}." }, ct), HttpStatusCode.Created);
            memories.Add(stored.GetProperty("id").GetString()!);
        }

        // Twelve episodes, the first eight moved to S3: the ten newest span both stores.
        var episodes = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            if (i == 8)
            {
                await stores.Memory.Mover.MovePartitionAsync($"{tenant.TenantId}#{Agent}", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);
            }

            var written = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = $"s{i % 3}", type = "action", content = $"step {i}" }, ct), HttpStatusCode.Created);
            episodes.Add(written.GetProperty("id").GetString()!);
        }

        Assert.Equal(4, await stores.Memory.HotCountAsync(tenant.TenantId, Agent, ct));

        var snapshot = await Envelope.ReadDataAsync(await api.GetAsync($"/v1/memory/{Agent}", ct), HttpStatusCode.OK);

        Assert.Equal(1, snapshot.GetProperty("state").GetProperty("data").GetProperty("n").GetInt32());
        Assert.Equal("default", snapshot.GetProperty("state").GetProperty("session_id").GetString());
        Assert.Equal(Enumerable.Reverse(memories).Take(5), snapshot.GetProperty("semantic").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(Enumerable.Reverse(episodes).Take(10), snapshot.GetProperty("episodic").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.All(snapshot.GetProperty("episodic").EnumerateArray(), e => Assert.Equal(Agent, e.GetProperty("agent_id").GetString()));
    }

    [Fact]
    public async Task ASearchRanksSemanticMemoriesAndEpisodesTogetherAndFindsEpisodesByMeaning()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var api = tenant.Client;
        var memory = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = Agent, content = "Invoices are sent on the first day of every month.", metadata = new { source = "faq" } }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = Agent, content = "The office parking garage closes at 10 pm." }, ct), HttpStatusCode.Created);
        // No word of the query below appears in this episode: only its meaning matches.
        var billing = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "s", type = "conversation", content = "The customer wants to know which date the bill arrives.", metadata = new { turn = 1 } }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "s", type = "action", content = new { tool = "weather", city = "Oslo" } }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "someone-else", session_id = "s", type = "conversation", content = "When are invoices sent out each month?" }, ct), HttpStatusCode.Created);

        var found = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/search", new { query = "when are invoices sent", agent_id = Agent, top_k = 3 }, ct), HttpStatusCode.OK);
        var results = found.GetProperty("results").EnumerateArray().ToList();

        Assert.InRange(results.Count, 2, 3);
        Assert.Equal(("semantic", memory.GetProperty("id").GetString()), (results[0].GetProperty("memory_type").GetString(), results[0].GetProperty("id").GetString()));
        Assert.Equal(("episodic", billing.GetProperty("id").GetString()), (results[1].GetProperty("memory_type").GetString(), results[1].GetProperty("id").GetString()));
        Assert.All(results, r => Assert.Equal(Agent, r.GetProperty("agent_id").GetString()));
        var scores = results.Select(r => r.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal("faq", results[0].GetProperty("metadata").GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.String, results[0].GetProperty("created_at").ValueKind);
        // The memory holds the query's words; the episode only means the same. Labels, never numbers.
        Assert.Equal("text_match", results[0].GetProperty("relevance").GetString());
        Assert.Equal("semantic_match", results[1].GetProperty("relevance").GetString());
        Assert.Equal(billing.GetProperty("timestamp").GetString(), results[1].GetProperty("timestamp").GetString());
        Assert.InRange(results[1].GetProperty("similarity_score").GetDouble(), 0.1, 1.0);
        Assert.Equal(1, results[1].GetProperty("metadata").GetProperty("turn").GetInt32());

        var bounded = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/search", new { query = "when are invoices sent", agent_id = Agent, top_k = 1 }, ct), HttpStatusCode.OK);
        Assert.Single(bounded.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task AnExactTokenInAnEpisodeIsFoundFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var api = tenant.Client;
        // Look-alikes by meaning and by characters: only one episode holds the order number itself.
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = Agent, content = "Order ORD-88213-Q was delayed by the carrier." }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "s", type = "conversation", content = "The customer asks where order ORD-88213-QX is; it was delayed." }, ct), HttpStatusCode.Created);
        var exact = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "s", type = "observation", content = "Refund issued for ORD-88213-P." }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "s", type = "conversation", content = "Where is my order? It was delayed." }, ct), HttpStatusCode.Created);

        for (var round = 0; round < 2; round++)
        {
            // The second round reads the episodes' embeddings from the cache: the same answer.
            var found = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/search", new { query = "ORD-88213-P", agent_id = Agent, top_k = 5 }, ct), HttpStatusCode.OK);
            var results = found.GetProperty("results").EnumerateArray().ToList();

            Assert.Equal(exact.GetProperty("id").GetString(), results[0].GetProperty("id").GetString());
            Assert.Equal("text_match", results[0].GetProperty("relevance").GetString());
            Assert.Equal(JsonValueKind.Number, results[0].GetProperty("similarity_score").ValueKind);
            Assert.All(results.Skip(1), r => Assert.Equal("semantic_match", r.GetProperty("relevance").GetString()));
        }
    }

    [Fact]
    public async Task ASearchWithoutAnAgentSearchesTheTenantsSemanticMemory()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var api = tenant.Client;
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "a1", content = "Refunds take five business days." }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = "a1", session_id = "s", type = "conversation", content = "How long do refunds take?" }, ct), HttpStatusCode.Created);

        var found = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/search", new { query = "refund duration" }, ct), HttpStatusCode.OK);

        var hit = Assert.Single(found.GetProperty("results").EnumerateArray());
        Assert.Equal(("semantic", "a1"), (hit.GetProperty("memory_type").GetString(), hit.GetProperty("agent_id").GetString()));
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"query":""}""")]
    [InlineData("""{"query":"x","agent_id":"a#b"}""")]
    [InlineData("""{"query":"x","top_k":0}""")]
    [InlineData("""{"query":"x","top_k":101}""")]
    [InlineData("""{"query":"x","threshold":1.5}""")]
    [InlineData("""{"query":5}""")]
    public async Task ASearchWithBadInputIsAValidationError(string json)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        using var body = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        await Envelope.ReadErrorAsync(await tenant.Client.PostAsync("/v1/memory/search", body, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Theory]
    [InlineData("bad%0Aid")]
    [InlineData("a%23b")]
    [InlineData("a%7Fb")]
    public async Task AnInvalidAgentIdInTheSnapshotOrPurgeRouteIsAValidationError(string agent)
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/v1/memory/{agent}", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await tenant.Client.DeleteAsync($"/v1/memory/{agent}", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }
}
