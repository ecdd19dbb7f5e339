using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>
/// The cross-tenant matrix: for every <c>/v1</c> route of the OpenAPI document, tenant B (whose
/// requests also name A in a <c>tenant_id</c> query parameter, body field and header) aims at
/// tenant A's resources. Reads answer exactly as for a resource that exists nowhere (same status,
/// same body but for per-request values); writes land in B's own space and leave A's untouched.
/// Every case first proves with A's key that A's resource is there, so each can fail. A route in
/// the document without a case fails the test: a new route must add its case here.
/// </summary>
public sealed class CrossTenantMatrixTests(MnemoraApp system)
{
    private delegate Task Case(Parties parties);

    private static readonly Dictionary<string, Case> s_cases = new(StringComparer.Ordinal)
    {
        ["GET /v1/health"] = HealthCarriesNoTenantData,
        ["GET /v1/usage"] = UsageCountsOnlyTheCallersOwnData,
        ["GET /v1/usage/vectors"] = VectorCountCountsOnlyTheCallersOwnMemories,
        ["POST /v1/state"] = WritingStateForAnotherTenantsAgentCreatesOnesOwn,
        ["GET /v1/state/{agent_id}"] = ReadingAnotherTenantsStateIsNotFound,
        ["GET /v1/state/{agent_id}/sessions"] = ListingAnotherTenantsSessionsIsEmpty,
        ["PUT /v1/state/{agent_id}"] = UpdatingAnotherTenantsStateIsNotFound,
        ["DELETE /v1/state/{agent_id}/{session_id}"] = DeletingAnotherTenantsStateIsNotFound,
        ["POST /v1/memory/semantic"] = StoringAMemoryLikeAnotherTenantsIsNotMergedIntoIt,
        ["POST /v1/memory/semantic/search"] = SearchingForAnotherTenantsMemoryFindsNothing,
        ["GET /v1/memory/semantic/{id}"] = ReadingAnotherTenantsMemoryIsNotFound,
        ["DELETE /v1/memory/semantic/{id}"] = DeletingAnotherTenantsMemoryIsNotFound,
        ["GET /v1/memory/semantic"] = ListingAnotherTenantsMemoriesIsEmpty,
        ["PATCH /v1/memory/semantic/{id}"] = EditingAnotherTenantsMemoryIsNotFound,
        ["GET /v1/memory/semantic/{id}/history"] = ReadingAnotherTenantsMemoryHistoryIsNotFound,
        ["POST /v1/memory/episodic"] = RecordingAnEpisodeForAnotherTenantsAgentRecordsOnesOwn,
        ["GET /v1/memory/episodic/{agent_id}"] = ListingAnotherTenantsEpisodesIsEmpty,
        ["GET /v1/memory/episodic/{agent_id}/sessions/{session_id}"] = ReplayingAnotherTenantsSessionIsNotFound,
        ["POST /v1/memory"] = WritingThroughTheWholeAgentRouteForAnotherTenantsAgentWritesOnesOwn,
        ["POST /v1/memory/search"] = SearchingAllKindsForAnotherTenantsMemoryFindsNothing,
        ["GET /v1/memory/{agent_id}"] = ReadingAnotherTenantsWholeAgentIsEmpty,
        ["DELETE /v1/memory/{agent_id}"] = PurgingAnotherTenantsAgentDeletesNothing,
        ["GET /v1/memory/{agent_id}/export"] = ExportingAnotherTenantsAgentIsNotFound,
        ["POST /v1/memory/import"] = ImportingAnotherTenantsExportWritesOnlyIntoOnesOwnTenant,
        ["POST /v1/memory/episodic/{agent_id}/summarize"] = SummarizingAnotherTenantsEpisodesIsNotFound,
    };

    [Fact]
    public async Task EveryTenantRouteAnswersAnotherTenantsResourcesAsIfTheyDidNotExist()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var api = system.CreateApiClient();
        var routes = await ApiRoute.ReadTenantRoutesAsync(api, cancellationToken);
        var documented = routes.Select(r => r.ToString()).ToHashSet(StringComparer.Ordinal);
        var uncovered = documented.Where(r => !s_cases.ContainsKey(r)).Order(StringComparer.Ordinal).ToList();
        Assert.True(uncovered.Count == 0, $"Routes without a cross-tenant case (add one to {nameof(CrossTenantMatrixTests)}): {string.Join(", ", uncovered)}");
        var stale = s_cases.Keys.Where(r => !documented.Contains(r)).Order(StringComparer.Ordinal).ToList();
        Assert.True(stale.Count == 0, $"Cases for routes the document no longer has: {string.Join(", ", stale)}");

        using var a = await system.CreateTenantAsync("scale", cancellationToken);
        using var b = await system.CreateTenantAsync("scale", cancellationToken);
        using var fresh = await system.CreateTenantAsync("scale", cancellationToken);
        using var anonymous = system.CreateApiClient();
        b.Client.DefaultRequestHeaders.Add("X-Tenant-Id", a.TenantId);
        fresh.Client.DefaultRequestHeaders.Add("X-Tenant-Id", a.TenantId);
        var parties = new Parties(a, b, fresh, anonymous, cancellationToken);

        var failures = new List<string>();
        foreach (var route in routes.Select(r => r.ToString()).Order(StringComparer.Ordinal))
        {
            try
            {
                await s_cases[route](parties);
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                failures.Add($"{route}: {failure.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private sealed record Parties(TestTenant A, TestTenant B, TestTenant Fresh, HttpClient Anonymous, CancellationToken Ct)
    {
        /// <summary>A URL for B's request that also claims A's tenant in the query (it must be ignored).</summary>
        public string AsB(string url) => $"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}tenant_id={A.TenantId}";

        private static int s_agents;

        /// <summary>
        /// A fresh agent id, so each case seeds its own resources. Ids take turns at the shapes frameworks send
        /// and attackers try (issue 16): spaces, <c>|</c> and <c>:</c>; a path traversal with <c>/</c>; literal
        /// percent-escapes; Unicode look-alikes of ASCII letters; non-ASCII letters; the longest id allowed.
        /// </summary>
        public static string NewAgent(string name)
        {
            var unique = Guid.NewGuid().ToString("N")[..8];
            return (Interlocked.Increment(ref s_agents) % 6) switch
            {
                0 => $"m {name}|{unique}:x",
                1 => $"../{name}/{unique}",
                2 => $"{name}%2F{unique}%2e%2e",
                3 => $"\u0430g\u0435nt-{name}-{unique}",
                4 => $"名前/{name}|{unique}",
                _ => $"{name}-{unique}-".PadRight(Identifiers.MaxIdLength, 'z'),
            };
        }

        /// <summary>
        /// Other ways of writing A's agent that must not reach it from B: a traversal to A's tenant, A's tenant
        /// as a prefix, a trailing slash, an invisible character, and the id split at a separator.
        /// </summary>
        public IEnumerable<string> AliasesOf(string agent) =>
            new[] { $"../{A.TenantId}/{agent}", $"{A.TenantId}/{agent}", $"{agent}/", $"{agent}\u200B", agent.Split('|')[0] }
                .Where(alias => alias != agent && alias.Length <= Identifiers.MaxIdLength && System.Text.Encoding.UTF8.GetByteCount(alias) <= Identifiers.MaxIdBytes);

        public Task<HttpResponseMessage> SeedStateAsync(string agent) =>
            A.Client.PostAsJsonAsync("/v1/state", new { agent_id = agent, session_id = "s-1", data = new { secret = $"A's {agent}" } }, Ct);

        public async Task<string> SeedMemoryAsync(string agent, string content)
        {
            var stored = await Envelope.ReadDataAsync(
                await A.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = agent, content, @namespace = "ns-1", metadata = new { owner = "A" } }, Ct),
                HttpStatusCode.Created);
            return stored.GetProperty("id").GetString()!;
        }

        /// <summary>State in the default session, a semantic memory and an episode: a whole agent of A's.</summary>
        public async Task<string> SeedAgentAsync(string agent, string content)
        {
            await Envelope.ReadDataAsync(await A.Client.PostAsJsonAsync("/v1/state", new { agent_id = agent, data = new { secret = $"A's {agent}" } }, Ct), HttpStatusCode.Created);
            await Envelope.ReadDataAsync(await SeedEpisodeAsync(agent), HttpStatusCode.Created);
            return await SeedMemoryAsync(agent, content);
        }

        /// <summary>What A holds of the agent: its default state, its memory and its episodes, each read with A's key.</summary>
        public async Task<string> HoldingsOfAAsync(string agent, string memoryId)
        {
            var state = await Envelope.ReadDataAsync(await A.Client.GetAsync($"/v1/state/{E(agent)}", Ct), HttpStatusCode.OK);
            var memory = await Envelope.ReadDataAsync(await A.Client.GetAsync($"/v1/memory/semantic/{memoryId}", Ct), HttpStatusCode.OK);
            var episodes = await Envelope.ReadDataAsync(await A.Client.GetAsync($"/v1/memory/episodic/{E(agent)}", Ct), HttpStatusCode.OK);
            return $"{state.GetProperty("version")} {state.GetProperty("data")} | {memory.GetProperty("content")} {memory.GetProperty("metadata")} {memory.GetProperty("updated_at")} | {episodes.GetProperty("episodes").GetArrayLength()}";
        }

        public Task<HttpResponseMessage> SeedEpisodeAsync(string agent) =>
            A.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = agent, session_id = "s-1", type = "observation", content = $"A saw {agent}" }, Ct);

        /// <summary>B's answer for A's resource must equal B's answer for one that exists nowhere.</summary>
        public async Task AssertSameAsMissingAsync(Func<string, Task<HttpResponseMessage>> request, string aValue, string missingValue)
        {
            using var onA = await request(aValue);
            using var onMissing = await request(missingValue);
            var shapeOnA = await ResponseShape.OfAsync(onA, Ct);
            var shapeOnMissing = await ResponseShape.OfAsync(onMissing, Ct);
            Assert.True(shapeOnA == shapeOnMissing.Replace(ResponseShape.Encode(missingValue), ResponseShape.Encode(aValue), StringComparison.Ordinal),
                $"B's answer for A's resource differs from its answer for a missing one:\n  A's:     {shapeOnA}\n  missing: {shapeOnMissing}");
            Assert.True(onA.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.OK, $"Expected 404 or an empty 200, got {shapeOnA}");
        }

        /// <summary>B's answer for A's agent, and for every alias of it, equals B's answer for an agent that exists nowhere.</summary>
        public async Task AssertAgentUnreachableAsync(Func<string, Task<HttpResponseMessage>> request, string agent)
        {
            await AssertSameAsMissingAsync(request, agent, NewAgent("nowhere"));
            foreach (var alias in AliasesOf(agent))
            {
                await AssertSameAsMissingAsync(request, alias, NewAgent("nowhere"));
            }
        }

        public async Task<JsonElement> StateOfAAsync(string agent) =>
            await Envelope.ReadDataAsync(await A.Client.GetAsync($"/v1/state/{E(agent)}?session_id=s-1", Ct), HttpStatusCode.OK);
    }

    private static string E(string id) => Uri.EscapeDataString(id);

    private static async Task HealthCarriesNoTenantData(Parties p)
    {
        var shapes = new List<string>();
        foreach (var client in (HttpClient[])[p.Anonymous, p.A.Client, p.B.Client])
        {
            shapes.Add(await ResponseShape.OfAsync(await client.GetAsync("/v1/health", p.Ct), p.Ct));
        }

        Assert.Single(shapes.Distinct(StringComparer.Ordinal));
        Assert.DoesNotContain(p.A.TenantId, shapes[0], StringComparison.Ordinal);
    }

    private static async Task VectorCountCountsOnlyTheCallersOwnMemories(Parties p)
    {
        await p.SeedMemoryAsync(Parties.NewAgent("vectors"), "The vector count case's memory of tenant A.");
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync("/v1/usage/vectors", p.Ct), HttpStatusCode.OK);
        Assert.True(ofA.GetProperty("vector_count").GetInt64() >= 1, $"A's vector count: {ofA}");

        // A tenant that never wrote anything, asking with A's id everywhere, counts none.
        var ofFresh = await Envelope.ReadDataAsync(await p.Fresh.Client.GetAsync($"/v1/usage/vectors?tenant_id={p.A.TenantId}", p.Ct), HttpStatusCode.OK);
        Assert.Equal(0, ofFresh.GetProperty("vector_count").GetInt64());
    }

    private static async Task UsageCountsOnlyTheCallersOwnData(Parties p)
    {
        var agent = Parties.NewAgent("usage");
        await Envelope.ReadDataAsync(await p.SeedStateAsync(agent), HttpStatusCode.Created);
        await p.SeedMemoryAsync(agent, "The usage case's memory of tenant A.");
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync("/v1/usage", p.Ct), HttpStatusCode.OK);
        Assert.True(ofA.GetProperty("agents_count").GetInt64() >= 1 && ofA.GetProperty("vectors_stored").GetInt64() >= 1, $"A's usage: {ofA}");

        // A tenant that never wrote anything, asking with A's id everywhere, sees zeros.
        var ofFresh = await Envelope.ReadDataAsync(await p.Fresh.Client.GetAsync($"/v1/usage?tenant_id={p.A.TenantId}", p.Ct), HttpStatusCode.OK);
        foreach (var counter in (string[])["vectors_stored", "storage_bytes", "agents_count", "sessions_count", "embeddings_generated_month"])
        {
            Assert.True(ofFresh.GetProperty(counter).GetInt64() == 0, $"{counter} of a tenant with no data: {ofFresh}");
        }
    }

    private static async Task WritingStateForAnotherTenantsAgentCreatesOnesOwn(Parties p)
    {
        var agent = Parties.NewAgent("state-write");
        await Envelope.ReadDataAsync(await p.SeedStateAsync(agent), HttpStatusCode.Created);
        var before = await p.StateOfAAsync(agent);

        var written = await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/state"), new { agent_id = agent, session_id = "s-1", tenant_id = p.A.TenantId, data = new { secret = "B's" } }, p.Ct),
            HttpStatusCode.Created);
        Assert.Equal(1, written.GetProperty("version").GetInt64());

        var after = await p.StateOfAAsync(agent);
        Assert.Equal(before.GetProperty("version").GetInt64(), after.GetProperty("version").GetInt64());
        Assert.Equal(before.GetProperty("data").GetRawText(), after.GetProperty("data").GetRawText());
    }

    private static async Task ReadingAnotherTenantsStateIsNotFound(Parties p)
    {
        var agent = Parties.NewAgent("state-read");
        await Envelope.ReadDataAsync(await p.SeedStateAsync(agent), HttpStatusCode.Created);
        await p.StateOfAAsync(agent);
        await p.AssertAgentUnreachableAsync(id => p.B.Client.GetAsync(p.AsB($"/v1/state/{E(id)}?session_id=s-1"), p.Ct), agent);
    }

    private static async Task ListingAnotherTenantsSessionsIsEmpty(Parties p)
    {
        var agent = Parties.NewAgent("state-list");
        await Envelope.ReadDataAsync(await p.SeedStateAsync(agent), HttpStatusCode.Created);
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/state/{E(agent)}/sessions", p.Ct), HttpStatusCode.OK);
        Assert.Equal("s-1", Assert.Single(ofA.GetProperty("sessions").EnumerateArray()).GetString());
        await p.AssertAgentUnreachableAsync(id => p.B.Client.GetAsync(p.AsB($"/v1/state/{E(id)}/sessions"), p.Ct), agent);
    }

    private static async Task UpdatingAnotherTenantsStateIsNotFound(Parties p)
    {
        var agent = Parties.NewAgent("state-put");
        await Envelope.ReadDataAsync(await p.SeedStateAsync(agent), HttpStatusCode.Created);
        var before = await p.StateOfAAsync(agent);
        await p.AssertAgentUnreachableAsync(
            id => p.B.Client.PutAsJsonAsync(p.AsB($"/v1/state/{E(id)}"), new { session_id = "s-1", version = 1, tenant_id = p.A.TenantId, data = new { secret = "B's" } }, p.Ct),
            agent);
        Assert.Equal(before.GetProperty("data").GetRawText(), (await p.StateOfAAsync(agent)).GetProperty("data").GetRawText());
    }

    private static async Task DeletingAnotherTenantsStateIsNotFound(Parties p)
    {
        var agent = Parties.NewAgent("state-delete");
        await Envelope.ReadDataAsync(await p.SeedStateAsync(agent), HttpStatusCode.Created);
        await p.StateOfAAsync(agent);
        await p.AssertAgentUnreachableAsync(id => p.B.Client.DeleteAsync(p.AsB($"/v1/state/{E(id)}/s-1"), p.Ct), agent);
        await p.StateOfAAsync(agent);
    }

    private static async Task StoringAMemoryLikeAnotherTenantsIsNotMergedIntoIt(Parties p)
    {
        var agent = Parties.NewAgent("sem-write");
        const string Content = "Tenant A's customer prefers invoices by post, never by e-mail.";
        var id = await p.SeedMemoryAsync(agent, Content);
        var before = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}", p.Ct), HttpStatusCode.OK);

        // The same text, agent and namespace from B: a new memory of B's (201, not deduplicated into A's).
        var stored = await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/semantic"), new { agent_id = agent, content = Content, @namespace = "ns-1", tenant_id = p.A.TenantId, metadata = new { owner = "B" } }, p.Ct),
            HttpStatusCode.Created);
        Assert.False(stored.GetProperty("deduplicated").GetBoolean());
        Assert.NotEqual(id, stored.GetProperty("id").GetString());

        var after = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}", p.Ct), HttpStatusCode.OK);
        Assert.Equal(before.GetRawText(), after.GetRawText());
    }

    private static async Task SearchingForAnotherTenantsMemoryFindsNothing(Parties p)
    {
        var agent = Parties.NewAgent("sem-search");
        const string Content = "Tenant A's vault combination is kept in the blue binder.";
        var id = await p.SeedMemoryAsync(agent, Content);
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = Content, agent_id = agent, @namespace = "ns-1" }, p.Ct), HttpStatusCode.OK);
        Assert.Contains(ofA.GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == id);

        // By A's agent and namespace, and across B's whole tenant (threshold 0: anything at all would match).
        await p.AssertAgentUnreachableAsync(target => p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/semantic/search"), new { query = Content, agent_id = target, @namespace = "ns-1", threshold = 0.0, tenant_id = p.A.TenantId }, p.Ct), agent);
        var wholeTenant = await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/semantic/search"), new { query = Content, threshold = 0.0, top_k = 100, tenant_id = p.A.TenantId }, p.Ct),
            HttpStatusCode.OK);
        // (Other cases give B memories of its own, some copied from A's export: none holds this case's text.)
        Assert.DoesNotContain(wholeTenant.GetProperty("results").EnumerateArray(),
            r => r.GetProperty("id").GetString() == id || r.GetProperty("content").GetString() == Content);

        // The keyword path: A finds its memory by a word in it; B, by the same word, never does.
        var byWordOfA = await Envelope.ReadDataAsync(await p.A.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "vault binder", agent_id = agent, mode = "keyword" }, p.Ct), HttpStatusCode.OK);
        Assert.Contains(byWordOfA.GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
        foreach (var mode in new[] { "keyword", "hybrid" })
        {
            await p.AssertAgentUnreachableAsync(target => p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/semantic/search"), new { query = "vault binder", agent_id = target, mode, threshold = 0.0, tenant_id = p.A.TenantId }, p.Ct), agent);
            var byWord = await Envelope.ReadDataAsync(
                await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/semantic/search"), new { query = "vault combination blue binder", mode, top_k = 100, tenant_id = p.A.TenantId }, p.Ct),
                HttpStatusCode.OK);
            Assert.DoesNotContain(byWord.GetProperty("results").EnumerateArray(),
                r => r.GetProperty("id").GetString() == id || r.GetProperty("content").GetString() == Content);
        }
    }

    private static async Task ReadingAnotherTenantsMemoryIsNotFound(Parties p)
    {
        var id = await p.SeedMemoryAsync(Parties.NewAgent("sem-read"), "Tenant A keeps the spare key under the third flowerpot.");
        await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}", p.Ct), HttpStatusCode.OK);
        await p.AssertSameAsMissingAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/semantic/{target}"), p.Ct), id, Guid.NewGuid().ToString());
    }

    private static async Task DeletingAnotherTenantsMemoryIsNotFound(Parties p)
    {
        var id = await p.SeedMemoryAsync(Parties.NewAgent("sem-delete"), "Tenant A's backup runs at two in the morning.");
        await p.AssertSameAsMissingAsync(target => p.B.Client.DeleteAsync(p.AsB($"/v1/memory/semantic/{target}"), p.Ct), id, Guid.NewGuid().ToString());
        await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}", p.Ct), HttpStatusCode.OK);
    }

    private static async Task ListingAnotherTenantsMemoriesIsEmpty(Parties p)
    {
        var agent = Parties.NewAgent("sem-list");
        var id = await p.SeedMemoryAsync(agent, "Tenant A's list: the supplier ships on Fridays.");
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic?agent_id={E(agent)}", p.Ct), HttpStatusCode.OK);
        Assert.Contains(ofA.GetProperty("memories").EnumerateArray(), m => m.GetProperty("id").GetString() == id);
        await p.AssertAgentUnreachableAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/semantic?agent_id={E(target)}&namespace=ns-1"), p.Ct), agent);
        // A filter that every row passes still reads only B's rows.
        var anything = Uri.EscapeDataString("""{"$or":[{"k":{"$exists":true}},{"k":{"$exists":false}}]}""");
        await p.AssertAgentUnreachableAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/semantic?agent_id={E(target)}&filter={anything}&created_after=2000-01-01T00:00:00Z"), p.Ct), agent);
    }

    private static async Task EditingAnotherTenantsMemoryIsNotFound(Parties p)
    {
        var id = await p.SeedMemoryAsync(Parties.NewAgent("sem-patch"), "Tenant A's door code changes every month.");
        var before = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}", p.Ct), HttpStatusCode.OK);
        await p.AssertSameAsMissingAsync(
            target => p.B.Client.PatchAsJsonAsync(p.AsB($"/v1/memory/semantic/{target}"), new { content = "B was here.", metadata = new { owner = "B" }, tenant_id = p.A.TenantId }, p.Ct),
            id, Guid.NewGuid().ToString());
        var after = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}", p.Ct), HttpStatusCode.OK);
        Assert.Equal(before.GetRawText(), after.GetRawText());
    }

    private static async Task ReadingAnotherTenantsMemoryHistoryIsNotFound(Parties p)
    {
        var id = await p.SeedMemoryAsync(Parties.NewAgent("sem-history"), "Tenant A's history: the contract renews in March.");
        await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/semantic/{id}/history", p.Ct), HttpStatusCode.OK);
        await p.AssertSameAsMissingAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/semantic/{target}/history"), p.Ct), id, Guid.NewGuid().ToString());
    }

    private static async Task RecordingAnEpisodeForAnotherTenantsAgentRecordsOnesOwn(Parties p)
    {
        var agent = Parties.NewAgent("epi-write");
        await Envelope.ReadDataAsync(await p.SeedEpisodeAsync(agent), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/episodic"), new { agent_id = agent, session_id = "s-1", type = "action", content = "B's", tenant_id = p.A.TenantId }, p.Ct),
            HttpStatusCode.Created);

        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/episodic/{E(agent)}", p.Ct), HttpStatusCode.OK);
        Assert.Equal($"A saw {agent}", Assert.Single(ofA.GetProperty("episodes").EnumerateArray()).GetProperty("content").GetString());
    }

    private static async Task ListingAnotherTenantsEpisodesIsEmpty(Parties p)
    {
        var agent = Parties.NewAgent("epi-list");
        await Envelope.ReadDataAsync(await p.SeedEpisodeAsync(agent), HttpStatusCode.Created);
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/episodic/{E(agent)}", p.Ct), HttpStatusCode.OK);
        Assert.Single(ofA.GetProperty("episodes").EnumerateArray());
        await p.AssertAgentUnreachableAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/episodic/{E(target)}?session_id=s-1"), p.Ct), agent);
    }

    private static async Task ReplayingAnotherTenantsSessionIsNotFound(Parties p)
    {
        var agent = Parties.NewAgent("epi-replay");
        await Envelope.ReadDataAsync(await p.SeedEpisodeAsync(agent), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/episodic/{E(agent)}/sessions/s-1", p.Ct), HttpStatusCode.OK);
        await p.AssertAgentUnreachableAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/episodic/{E(target)}/sessions/s-1"), p.Ct), agent);
    }
    private static async Task WritingThroughTheWholeAgentRouteForAnotherTenantsAgentWritesOnesOwn(Parties p)
    {
        var agent = Parties.NewAgent("all-write");
        const string Content = "Tenant A's agent knows the loading bay closes at six.";
        var id = await p.SeedAgentAsync(agent, Content);
        var before = await p.HoldingsOfAAsync(agent, id);

        var state = await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory"), new { agent_id = agent, tenant_id = p.A.TenantId, data = new { secret = "B's" } }, p.Ct), HttpStatusCode.Created);
        Assert.Equal(1, state.GetProperty("version").GetInt64());
        var memory = await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory"), new { agent_id = agent, tenant_id = p.A.TenantId, content = Content, metadata = new { owner = "B" } }, p.Ct), HttpStatusCode.Created);
        Assert.False(memory.GetProperty("deduplicated").GetBoolean());
        await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory"), new { agent_id = agent, tenant_id = p.A.TenantId, session_id = "s-1", type = "action", content = "B's" }, p.Ct), HttpStatusCode.Created);

        Assert.Equal(before, await p.HoldingsOfAAsync(agent, id));
    }

    private static async Task SearchingAllKindsForAnotherTenantsMemoryFindsNothing(Parties p)
    {
        var agent = Parties.NewAgent("all-search");
        const string Content = "Tenant A's courier collects the parcels every Tuesday morning.";
        var id = await p.SeedAgentAsync(agent, Content);
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.PostAsJsonAsync("/v1/memory/search", new { query = Content, agent_id = agent }, p.Ct), HttpStatusCode.OK);
        Assert.Contains(ofA.GetProperty("results").EnumerateArray(), r => r.GetProperty("id").GetString() == id);

        await p.AssertAgentUnreachableAsync(target => p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/search"), new { query = Content, agent_id = target, threshold = 0.0, tenant_id = p.A.TenantId }, p.Ct), agent);
        var wholeTenant = await Envelope.ReadDataAsync(
            await p.B.Client.PostAsJsonAsync(p.AsB("/v1/memory/search"), new { query = Content, threshold = 0.0, top_k = 100, tenant_id = p.A.TenantId }, p.Ct), HttpStatusCode.OK);
        Assert.DoesNotContain(wholeTenant.GetProperty("results").EnumerateArray(),
            r => r.GetProperty("id").GetString() == id || r.GetProperty("agent_id").GetString() == agent && r.GetProperty("memory_type").GetString() == "episodic");
    }

    private static async Task ReadingAnotherTenantsWholeAgentIsEmpty(Parties p)
    {
        var agent = Parties.NewAgent("all-read");
        await p.SeedAgentAsync(agent, "Tenant A's agent remembers the warehouse code.");
        var ofA = await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/{E(agent)}", p.Ct), HttpStatusCode.OK);
        Assert.True(ofA.GetProperty("state").ValueKind == JsonValueKind.Object && ofA.GetProperty("semantic").GetArrayLength() == 1 && ofA.GetProperty("episodic").GetArrayLength() == 1, $"A's agent: {ofA}");
        await p.AssertAgentUnreachableAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/{E(target)}"), p.Ct), agent);
    }

    private static async Task PurgingAnotherTenantsAgentDeletesNothing(Parties p)
    {
        var agent = Parties.NewAgent("all-purge");
        var id = await p.SeedAgentAsync(agent, "Tenant A's agent must survive another tenant's purge.");
        var before = await p.HoldingsOfAAsync(agent, id);
        await p.AssertAgentUnreachableAsync(target => p.B.Client.DeleteAsync(p.AsB($"/v1/memory/{E(target)}"), p.Ct), agent);
        Assert.Equal(before, await p.HoldingsOfAAsync(agent, id));
    }

    private static async Task ExportingAnotherTenantsAgentIsNotFound(Parties p)
    {
        var agent = Parties.NewAgent("all-export");
        const string Content = "Tenant A's export holds the supplier's private phone number.";
        await p.SeedAgentAsync(agent, Content);
        using (var ofA = await p.A.Client.GetAsync($"/v1/memory/{E(agent)}/export", p.Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ofA.StatusCode);
            Assert.Contains(Content, await ofA.Content.ReadAsStringAsync(p.Ct), StringComparison.Ordinal);
        }

        await p.AssertAgentUnreachableAsync(target => p.B.Client.GetAsync(p.AsB($"/v1/memory/{E(target)}/export"), p.Ct), agent);
    }

    private static async Task ImportingAnotherTenantsExportWritesOnlyIntoOnesOwnTenant(Parties p)
    {
        var agent = Parties.NewAgent("all-import");
        var id = await p.SeedAgentAsync(agent, "Tenant A's memory, exported and carried to another tenant.");
        var before = await p.HoldingsOfAAsync(agent, id);
        var export = await p.A.Client.GetStringAsync($"/v1/memory/{E(agent)}/export", p.Ct);
        Assert.Contains(agent, export, StringComparison.Ordinal);

        // The file claims A's tenant in its header; the records land in the importer's tenant only.
        var claimed = export.Replace("\"scope\":\"agent\"", $"\"scope\":\"agent\",\"tenant_id\":\"{p.A.TenantId}\"", StringComparison.Ordinal);
        using var file = new StringContent(claimed, System.Text.Encoding.UTF8, "application/x-ndjson");
        await Envelope.ReadDataAsync(await p.B.Client.PostAsync(p.AsB("/v1/memory/import"), file, p.Ct), HttpStatusCode.OK);

        Assert.Equal(before, await p.HoldingsOfAAsync(agent, id));
        var ofB = await Envelope.ReadDataAsync(await p.B.Client.GetAsync($"/v1/memory/{E(agent)}", p.Ct), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Object, ofB.GetProperty("state").ValueKind);
    }

    private static async Task SummarizingAnotherTenantsEpisodesIsNotFound(Parties p)
    {
        var agent = Parties.NewAgent("all-summary");
        await Envelope.ReadDataAsync(await p.SeedEpisodeAsync(agent), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await p.A.Client.GetAsync($"/v1/memory/episodic/{E(agent)}/sessions/s-1", p.Ct), HttpStatusCode.OK);
        var vectorsOfB = (await Envelope.ReadDataAsync(await p.B.Client.GetAsync("/v1/usage", p.Ct), HttpStatusCode.OK)).GetProperty("vectors_stored").GetInt64();
        await p.AssertAgentUnreachableAsync(target => p.B.Client.PostAsJsonAsync(p.AsB($"/v1/memory/episodic/{E(target)}/summarize"), new { session_id = "s-1", tenant_id = p.A.TenantId }, p.Ct), agent);
        Assert.Equal(vectorsOfB, (await Envelope.ReadDataAsync(await p.B.Client.GetAsync("/v1/usage", p.Ct), HttpStatusCode.OK)).GetProperty("vectors_stored").GetInt64());
    }
}
