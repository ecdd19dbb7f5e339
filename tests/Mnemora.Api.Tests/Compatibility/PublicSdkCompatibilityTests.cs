using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Compatibility;

/// <summary>
/// Issue 16: the public Python SDK's clients and its LangChain, LangGraph and CrewAI integrations
/// work against Mnemora unchanged. Each test makes the calls one SDK method or integration flow
/// makes, in its order, and asserts what that code reads: field names, JSON types, status codes
/// and empty results (see <see cref="PublicSdk"/>). Where the contract differs on purpose (the
/// error envelope carries more fields, validation is stricter) the SDK ignores the difference.
/// </summary>
public sealed class PublicSdkCompatibilityTests(MnemoraApp system)
{
    private static string Q(string value) => Uri.EscapeDataString(value);

    [Fact]
    public async Task TheLangGraphCheckpointSaverCreatesReadsAndAdvancesACheckpoint()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sdk = PublicSdk.For(system, tenant.ApiKey);
        // agent_id = "{namespace}:{thread_id}" in the path (':' unescaped); session "ns:{checkpoint_ns}" in the query or body.
        var agent = $"langgraph:{Guid.NewGuid()}";
        var path = $"/v1/state/{PublicSdk.Segment(agent)}";
        // A subgraph's checkpoint namespace: LangGraph joins its levels with '|'.
        const string Session = "ns:parent_node:1|child_node:2";

        // aget / aget_tuple on a new thread: a 404 means "no checkpoint".
        (await sdk.GetAsync($"{path}?session_id={Q(Session)}")).IsError(404);

        // aput without a version: get_state (404), then store_state.
        var checkpoint = new { v = 1, id = "1ef-checkpoint-1", channel_values = new { messages = new[] { "hi" } } };
        var created = (await sdk.PostAsync("/v1/state", new { agent_id = agent, data = new { checkpoint, metadata = new { step = 0 } }, session_id = Session })).Result;
        SdkModels.StateResponse(created);
        Assert.Equal(1, created.GetProperty("version").GetInt64());
        Assert.Equal(agent, created.GetProperty("agent_id").GetString());
        Assert.Equal(Session, created.GetProperty("session_id").GetString());

        var read = (await sdk.GetAsync($"{path}?session_id={Q(Session)}")).Result;
        SdkModels.StateResponse(read);
        Assert.Equal("1ef-checkpoint-1", read.GetProperty("data").GetProperty("checkpoint").GetProperty("id").GetString());

        // aput with checkpoint_version: update_state, no agent_id in the body; the answer's version is the next one.
        var updated = (await sdk.PutAsync(path, new { data = new { checkpoint = new { v = 1, id = "1ef-checkpoint-2" }, metadata = new { step = 1 } }, version = 1, session_id = Session })).Result;
        SdkModels.StateResponse(updated);
        Assert.Equal(2, updated.GetProperty("version").GetInt64());

        // A stale version is the SDK's conflict (409, not caught by the saver); a missing record its not-found (404: the saver then creates).
        (await sdk.PutAsync(path, new { data = new { }, version = 1, session_id = Session })).IsError(409);
        (await sdk.PutAsync(path, new { data = new { }, version = 1, session_id = "ns:never-written" })).IsError(404);

        // The root graph's checkpoints live in session "default", which get_state reaches with no query at all.
        SdkModels.StateResponse((await sdk.PostAsync("/v1/state", new { agent_id = agent, data = new { checkpoint = new { id = "root" } }, session_id = "default" })).Result);
        var root = (await sdk.GetAsync(path)).Result;
        Assert.Equal("default", root.GetProperty("session_id").GetString());
        Assert.Equal("root", root.GetProperty("data").GetProperty("checkpoint").GetProperty("id").GetString());
    }

    [Fact]
    public async Task TheCrewAiStorageSavesLoadsListsAndResetsKeys()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sdk = PublicSdk.For(system, tenant.ApiKey);
        var agent = $"crewai-{Guid.NewGuid():N}";
        var path = $"/v1/state/{PublicSdk.Segment(agent)}";
        string[] keys = ["user_prefs", "task.42", "entity:acme@example.com", "long term memory", "entity Müller"];

        // list_keys on an agent with nothing: 200 and an empty list.
        Assert.Empty(SdkModels.List((await sdk.GetAsync($"{path}/sessions")).Result, "sessions"));

        // save: get_state (404) then store_state; saving again: get_state then update_state with its version.
        foreach (var key in keys)
        {
            (await sdk.GetAsync($"{path}?session_id={Q(key)}")).IsError(404);
            SdkModels.StateResponse((await sdk.PostAsync("/v1/state", new { agent_id = agent, data = new { value = key }, session_id = key })).Result);
        }

        var existing = (await sdk.GetAsync($"{path}?session_id={Q(keys[0])}")).Result;
        var saved = (await sdk.PutAsync(path, new { data = new { theme = "dark" }, version = existing.GetProperty("version").GetInt64(), session_id = keys[0] })).Result;
        Assert.Equal("dark", saved.GetProperty("data").GetProperty("theme").GetString());

        // list_keys hands each element back as a session id: they must be the ids themselves, as strings.
        var listed = SdkModels.List((await sdk.GetAsync($"{path}/sessions")).Result, "sessions").ToList();
        Assert.All(listed, s => Assert.Equal(JsonValueKind.String, s.ValueKind));
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Select(s => s.GetString()!).Order(StringComparer.Ordinal));

        // search = list_keys, then load of each.
        foreach (var key in keys)
        {
            SdkModels.StateResponse((await sdk.GetAsync($"{path}?session_id={Q(key)}")).Result);
        }

        // reset = delete_state of each key (session id in the path); a second delete is a 404 the storage ignores.
        foreach (var key in keys)
        {
            var deleted = await sdk.DeleteAsync($"{path}/{PublicSdk.Segment(key)}");
            Assert.True(deleted.Status is >= 200 and < 300, $"delete_state answered {deleted.Status}: {deleted.Body}");
            (await sdk.DeleteAsync($"{path}/{PublicSdk.Segment(key)}")).IsError(404);
        }

        Assert.Empty(SdkModels.List((await sdk.GetAsync($"{path}/sessions")).Result, "sessions"));
    }

    [Fact]
    public async Task TheLangChainChatHistoryReadsWritesAndClearsMessagesInOrder()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sdk = PublicSdk.For(system, tenant.ApiKey);
        var agent = $"support-{Guid.NewGuid():N}";
        var session = Guid.NewGuid().ToString();
        var messagesPath = $"/v1/memory/episodic/{PublicSdk.Segment(agent)}/sessions/{PublicSdk.Segment(session)}";

        // messages on a new session: 200 with an empty list (the history does not catch a 404).
        Assert.Empty(SdkModels.List((await sdk.GetAsync(messagesPath)).Result, "episodes"));

        // add_message: one episode per message, content = LangChain's message_to_dict, verbatim.
        var sent = new[]
        {
            JsonSerializer.SerializeToElement(new { type = "human", data = new { content = "Where is order 7781?", additional_kwargs = new { }, type = "human", id = (string?)null } }),
            JsonSerializer.SerializeToElement(new { type = "ai", data = new { content = "It ships today.", additional_kwargs = new { }, response_metadata = new { model = "x", tokens = 12.5 }, type = "ai" } }),
            JsonSerializer.SerializeToElement(new { type = "human", data = new { content = "Thanks!", additional_kwargs = new { }, type = "human" } }),
        };
        foreach (var message in sent)
        {
            var stored = (await sdk.PostAsync("/v1/memory/episodic", new { agent_id = agent, session_id = session, type = "conversation", content = message, metadata = new { langchain = true } })).Result;
            SdkModels.EpisodeResponse(stored);
        }

        // Oldest first, each content exactly as sent (numbers included), metadata kept.
        var episodes = SdkModels.List((await sdk.GetAsync(messagesPath)).Result, "episodes").ToList();
        Assert.Equal(sent.Length, episodes.Count);
        for (var i = 0; i < sent.Length; i++)
        {
            SdkModels.EpisodeResponse(episodes[i]);
            Assert.True(JsonElement.DeepEquals(sent[i], episodes[i].GetProperty("content")), $"Message {i} came back as {episodes[i].GetProperty("content")}");
            Assert.True(episodes[i].GetProperty("metadata").GetProperty("langchain").GetBoolean());
        }

        // clear = purge_agent: a PurgeResponse, and the history reads empty again.
        var purged = (await sdk.DeleteAsync($"/v1/memory/{PublicSdk.Segment(agent)}")).Result;
        SdkModels.PurgeResponse(purged);
        Assert.Equal(sent.Length, purged.GetProperty("deleted").GetProperty("episodic").GetInt64());
        Assert.Empty(SdkModels.List((await sdk.GetAsync(messagesPath)).Result, "episodes"));
    }

    [Fact]
    public async Task SemanticCallsAndTheUnifiedSearchParseAsTheSdksModels()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sdk = PublicSdk.For(system, tenant.ApiKey);
        var agent = $"analyst-{Guid.NewGuid():N}";

        var stored = (await sdk.PostAsync("/v1/memory/semantic", new { agent_id = agent, content = "The customer's invoices go to billing@acme.example every month.", metadata = new { source = "crm" } })).Result;
        SdkModels.SemanticResponse(stored);
        var id = stored.GetProperty("id").GetString()!;
        var bare = (await sdk.PostAsync("/v1/memory/semantic", new { agent_id = agent, content = "Renewal talks start in March." })).Result;
        SdkModels.SemanticResponse(bare);
        Assert.Equal(JsonValueKind.Object, bare.GetProperty("metadata").ValueKind);
        SdkModels.EpisodeResponse((await sdk.PostAsync("/v1/memory/episodic", new { agent_id = agent, session_id = "s1", type = "observation", content = "Order 7781 left the warehouse." })).Result);

        // search_memory always sends query, top_k and threshold (0.7 in SDK 0.1.0-0.1.1, 0.1 in 0.1.2).
        foreach (var threshold in (double[])[0.1, 0.7])
        {
            var results = SdkModels.List((await sdk.PostAsync("/v1/memory/semantic/search", new { query = "where do invoices go", top_k = 10, threshold, agent_id = agent })).Result, "results").ToList();
            Assert.All(results, SdkModels.SemanticResponse);
            Assert.Equal(results.Select(r => r.GetProperty("similarity_score").GetDouble()).OrderDescending(), results.Select(r => r.GetProperty("similarity_score").GetDouble()));
            if (threshold < 0.5)
            {
                Assert.Equal(id, results[0].GetProperty("id").GetString());
            }
        }

        var withFilter = SdkModels.List((await sdk.PostAsync("/v1/memory/semantic/search", new { query = "invoices", top_k = 10, threshold = 0.1, metadata_filter = new { source = "crm" } })).Result, "results").ToList();
        Assert.Equal(new[] { id }, withFilter.Select(r => r.GetProperty("id").GetString()));

        // search_all sends no threshold; every result names its memory_type, relevance is a label.
        var all = SdkModels.List((await sdk.PostAsync("/v1/memory/search", new { query = "order 7781", top_k = 10, agent_id = agent })).Result, "results").ToList();
        Assert.NotEmpty(all);
        Assert.All(all, SdkModels.SearchResult);
        Assert.Equal("episodic", all[0].GetProperty("memory_type").GetString());

        // get_all_memory: an object with "state".
        Assert.True((await sdk.GetAsync($"/v1/memory/{PublicSdk.Segment(agent)}")).Result.TryGetProperty("state", out _));

        SdkModels.SemanticResponse((await sdk.GetAsync($"/v1/memory/semantic/{id}")).Result);
        var deleted = await sdk.DeleteAsync($"/v1/memory/semantic/{id}");
        Assert.True(deleted.Status is >= 200 and < 300, $"delete_memory answered {deleted.Status}: {deleted.Body}");
        (await sdk.GetAsync($"/v1/memory/semantic/{id}")).IsError(404);
        // Not a UUID: Mnemora's stricter validation, a 400 the SDK raises at once (a 5xx it would retry three times).
        (await sdk.GetAsync("/v1/memory/semantic/not-a-uuid")).IsError(400);
    }

    [Fact]
    public async Task EpisodeListsTakeTheSdksQueryNames()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sdk = PublicSdk.For(system, tenant.ApiKey);
        var agent = $"ops-{Guid.NewGuid():N}";
        var timestamps = new List<DateTimeOffset>();
        for (var i = 0; i < 3; i++)
        {
            var episode = (await sdk.PostAsync("/v1/memory/episodic", new { agent_id = agent, session_id = "s1", type = i == 1 ? "action" : "conversation", content = new { step = i } })).Result;
            timestamps.Add(DateTimeOffset.Parse(episode.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }

        var path = $"/v1/memory/episodic/{PublicSdk.Segment(agent)}";
        var all = SdkModels.List((await sdk.GetAsync(path)).Result, "episodes").ToList();
        Assert.Equal(new[] { 0, 1, 2 }, all.Select(e => e.GetProperty("content").GetProperty("step").GetInt32()));

        // from / to (not from_ts / to_ts), type, session_id and a limit sent as text.
        var from = Q(timestamps[1].ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        var later = SdkModels.List((await sdk.GetAsync($"{path}?session_id=s1&from={from}")).Result, "episodes").ToList();
        var laterSteps = later.Select(e => e.GetProperty("content").GetProperty("step").GetInt32()).ToList();
        Assert.Equal(new[] { 1, 2 }, laterSteps.Where(step => step > 0));
        // Step 0 is left out unless the store gave it the same instant as step 1.
        Assert.Equal(timestamps[0] == timestamps[1], laterSteps.Contains(0));
        var actions = SdkModels.List((await sdk.GetAsync($"{path}?type=action")).Result, "episodes").ToList();
        Assert.Equal(new[] { 1 }, actions.Select(e => e.GetProperty("content").GetProperty("step").GetInt32()));
        Assert.Single(SdkModels.List((await sdk.GetAsync($"{path}?limit=1")).Result, "episodes"));
    }

    [Fact]
    public async Task UsagePurgeAndErrorsHaveTheShapesTheSdkReads()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sdk = PublicSdk.For(system, tenant.ApiKey);

        SdkModels.UsageResponse((await sdk.GetAsync("/v1/usage")).Result);

        // Purging an agent that holds nothing is a 200 with zero counts, not a 404 or an empty body.
        var purged = (await sdk.DeleteAsync($"/v1/memory/never-seen-{Guid.NewGuid():N}")).Result;
        SdkModels.PurgeResponse(purged);
        Assert.All(purged.GetProperty("deleted").EnumerateObject(), p => Assert.Equal(0, p.Value.GetInt64()));

        // Validation is 400 (the SDK's validation error; a 422 would not be), with error.code and error.message.
        (await sdk.PostAsync("/v1/state", new { agent_id = "a" })).IsError(400);
        (await sdk.PostAsync("/v1/memory/episodic", new { agent_id = "a", session_id = "s", type = "dream", content = "x" })).IsError(400);
        (await PublicSdk.For(system, "mnm_not-a-key").GetAsync("/v1/usage")).IsError(401);
    }
}
