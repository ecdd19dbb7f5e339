using System.Text.Json.Nodes;
using Microsoft.Agents.AI;

namespace Mnemora.Agents.Tests;

/// <summary>The agent integrations against the real system, with a scripted chat client as the model.</summary>
public sealed class AgentMemoryTests(AgentsSystem system)
{
    [Fact]
    public async Task RecalledMemoriesAppearInTheRequestTheModelReceives()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var memory = system.NewClient(await system.CreateTenantKeyAsync(cancellationToken));
        await memory.StoreMemoryAsync("support-bot", "The customer prefers to be contacted by email, never by phone.", cancellationToken: cancellationToken);
        await memory.StoreStateAsync("support-bot", new JsonObject { ["ticket"] = 4711 }, "call-1", cancellationToken: cancellationToken);
        var model = new ScriptedChatClient("I will email you.");
        using var chat = model.AsBuilder().UseMnemoraMemory(memory, o => { o.AgentId = "support-bot"; o.SessionId = "call-1"; o.IncludeState = true; }).Build();

        await chat.GetResponseAsync([new ChatMessage(ChatRole.System, "You are a support agent."), new ChatMessage(ChatRole.User, "How should you contact me?")], cancellationToken: cancellationToken);

        var seen = model.Requests.Single();
        Assert.Equal(ChatRole.System, seen[0].Role);
        Assert.Equal("You are a support agent.", seen[0].Text);
        Assert.Equal(ChatRole.System, seen[1].Role);
        Assert.Contains("contacted by email, never by phone", seen[1].Text, StringComparison.Ordinal);
        Assert.Contains("\"ticket\":4711", seen[1].Text, StringComparison.Ordinal);
        Assert.Equal("How should you contact me?", seen[^1].Text);
    }

    [Fact]
    public async Task TurnsLandAsEpisodesInOrder()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var memory = system.NewClient(await system.CreateTenantKeyAsync(cancellationToken));
        var model = new ScriptedChatClient("Hello, how can I help?", "Your invoice is being corrected.");
        using var chat = model.AsBuilder().UseMnemoraMemory(memory, o => { o.AgentId = "support-bot"; o.SessionId = "chat-1"; }).Build();

        List<ChatMessage> conversation = [new(ChatRole.User, "Hi")];
        conversation.AddRange((await chat.GetResponseAsync(conversation, cancellationToken: cancellationToken)).Messages);
        conversation.Add(new(ChatRole.User, "My invoice is wrong"));
        await foreach (var update in chat.GetStreamingResponseAsync(conversation, cancellationToken: cancellationToken))
        {
            Assert.NotNull(update);
        }

        var episodes = await memory.ReplaySessionAsync("support-bot", "chat-1", cancellationToken).ToListAsync(cancellationToken);
        Assert.All(episodes, e => Assert.Equal(EpisodeType.Conversation, e.Type));
        Assert.Equal(
            ["user: Hi", "assistant: Hello, how can I help?", "user: My invoice is wrong", "assistant: Your invoice is being corrected."],
            episodes.Select(e => $"{e.Content["role"]}: {e.Content["text"]?.GetValue<string>().Trim()}"));
    }

    [Fact]
    public async Task AThreadRestoredInANewProcessContinuesWhereItStoppedFromHotAndFromColdStorage()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var key = await system.CreateTenantKeyAsync(cancellationToken);
        var memory = system.NewClient(key);
        string[] firstTurn = ["user: My order number is 9921.", "assistant: Noted: order 9921."];
        string[] secondTurn = ["user: When does it ship?", "assistant: Order 9921 ships tomorrow."];

        // Each turn runs in a process of its own; they share nothing but the key and the thread's id.
        Assert.Equal([firstTurn[0]], await system.RunTurnInNewProcessAsync(key, "support-bot", "thread-7", "My order number is 9921.", "Noted: order 9921.", cancellationToken));
        Assert.Equal([.. firstTurn, secondTurn[0]], await system.RunTurnInNewProcessAsync(key, "support-bot", "thread-7", "When does it ship?", "Order 9921 ships tomorrow.", cancellationToken));
        // Nothing had gone to S3 yet (cold bytes only grow), so the second process restored the thread from hot storage.
        Assert.Equal(0, (await memory.GetUsageAsync(cancellationToken)).Storage.S3Bytes);

        // The tiering worker moves the thread to S3 once it is older than the hot retention.
        var usage = await WaitForAsync(() => memory.GetUsageAsync(cancellationToken), u => u.Storage.DynamoBytes == 0 && u.Storage.S3Bytes > 0, cancellationToken);
        Assert.True(usage.Storage.S3Bytes > 0);

        Assert.Equal([.. firstTurn, .. secondTurn, "user: Can I still change the address?"], await system.RunTurnInNewProcessAsync(key, "support-bot", "thread-7", "Can I still change the address?", "Yes, until it ships.", cancellationToken));
        var history = await new MnemoraChatHistoryProvider(memory, "support-bot", "thread-7").GetMessagesAsync(cancellationToken);
        Assert.Equal(
            [.. firstTurn, .. secondTurn, "user: Can I still change the address?", "assistant: Yes, until it ships."],
            history.Select(m => $"{m.Role}: {m.Text}"));
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AgentsSystem.HotRetention + TimeSpan.FromMinutes(2));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
        }
    }

    [Fact]
    public async Task TheAgentFrameworkMemoryProviderRecallsIntoTheRunAndLogsTheTurn()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var memory = system.NewClient(await system.CreateTenantKeyAsync(cancellationToken));
        await memory.StoreMemoryAsync("concierge", "The guest is allergic to peanuts.", cancellationToken: cancellationToken);
        var model = new ScriptedChatClient("I will avoid peanuts.");
        var provider = new MnemoraMemoryProvider(memory, new MnemoraMemoryOptions { AgentId = "concierge", SessionId = "stay-1" })
        {
            ExtractFacts = turn => turn.Where(m => m.Role == ChatRole.User && m.Text.Contains("I like", StringComparison.Ordinal)).Select(m => m.Text),
        };
        var agent = new ChatClientAgent(model, new ChatClientAgentOptions { AIContextProviders = [provider] });

        await agent.RunAsync("Suggest a dessert. I like chocolate.", await agent.CreateSessionAsync(cancellationToken), cancellationToken: cancellationToken);

        Assert.Contains("allergic to peanuts", model.Seen(0), StringComparison.Ordinal);
        var episodes = await memory.ReplaySessionAsync("concierge", "stay-1", cancellationToken).ToListAsync(cancellationToken);
        Assert.Equal(["user", "assistant"], episodes.Select(e => e.Content["role"]!.GetValue<string>()));
        var facts = await memory.SearchMemoryAsync("what does the guest like", "concierge", cancellationToken: cancellationToken);
        Assert.Contains(facts, f => f.Content == "Suggest a dessert. I like chocolate.");
    }

    [Fact]
    public async Task TheToolsWorkAsAIFunctionsAndRefusalsReachTheModelAsText()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var memory = system.NewClient(await system.CreateTenantKeyAsync(cancellationToken));
        var tools = MnemoraTools.Create(memory, "planner").ToDictionary(t => t.Name, StringComparer.Ordinal);

        Assert.Equal(["forget", "get_state", "list_sessions", "log_episode", "recall", "remember", "replay_session", "set_state", "summarize_session", "usage"], tools.Keys.Order(StringComparer.Ordinal));
        await tools["remember"].InvokeAsync(new() { ["content"] = "The launch is on Friday." }, cancellationToken);
        var recalled = System.Text.Json.JsonSerializer.Serialize(await tools["recall"].InvokeAsync(new() { ["query"] = "when is the launch" }, cancellationToken));
        Assert.Contains("The launch is on Friday.", recalled, StringComparison.Ordinal);
        var missing = await tools["get_state"].InvokeAsync(new() { ["session_id"] = "nothing-here" }, cancellationToken);
        Assert.StartsWith("NOT_FOUND: ", System.Text.Json.JsonSerializer.Deserialize<string>(System.Text.Json.JsonSerializer.Serialize(missing)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingLeaksBetweenTwoTenantsAgents()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var a = system.NewClient(await system.CreateTenantKeyAsync(cancellationToken));
        var b = system.NewClient(await system.CreateTenantKeyAsync(cancellationToken));
        await a.StoreMemoryAsync("assistant", "Tenant A's wifi password is hunter2.", cancellationToken: cancellationToken);
        var modelA = new ScriptedChatClient("ok");
        using (var chatA = modelA.AsBuilder().UseMnemoraMemory(a, o => { o.AgentId = "assistant"; o.SessionId = "s"; o.IncludeState = true; }).Build())
        {
            await chatA.GetResponseAsync([new ChatMessage(ChatRole.User, "What is the wifi password? It is hunter2 I think.")], cancellationToken: cancellationToken);
        }

        Assert.Contains("hunter2", modelA.Seen(0), StringComparison.Ordinal);

        // Same agent and session names under another tenant's key: nothing of A's is recalled, replayed or listed.
        var modelB = new ScriptedChatClient("I do not know.");
        using var chatB = modelB.AsBuilder().UseMnemoraMemory(b, o => { o.AgentId = "assistant"; o.SessionId = "s"; o.IncludeState = true; }).Build();
        await chatB.GetResponseAsync([new ChatMessage(ChatRole.User, "What is the wifi password?")], cancellationToken: cancellationToken);
        Assert.DoesNotContain("hunter2", modelB.Seen(0), StringComparison.Ordinal);
        var historyB = await new MnemoraChatHistoryProvider(b, "assistant", "s").GetMessagesAsync(cancellationToken);
        Assert.Equal(["What is the wifi password?", "I do not know."], historyB.Select(m => m.Text));
        var recalledB = System.Text.Json.JsonSerializer.Serialize(await MnemoraTools.Create(b, "assistant").Single(t => t.Name == "recall").InvokeAsync(new() { ["query"] = "wifi password" }, cancellationToken));
        Assert.DoesNotContain("hunter2", recalledB, StringComparison.Ordinal);
    }
}
