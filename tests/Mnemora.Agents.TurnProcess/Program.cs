using Microsoft.Agents.AI;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Agents;
using Mnemora.Agents.TurnProcess;
using Mnemora.Client;

// Usage: MNEMORA_API_URL=… MNEMORA_API_KEY=… Mnemora.Agents.TurnProcess <agent> <thread> <user message> <model's answer>
// Runs one turn of a Microsoft Agent Framework agent whose chat history is the thread's episodes in Mnemora, with a
// scripted model, and prints what the model was shown, one "role: text" line per message.
if (args is not [var agentId, var threadId, var message, var answer])
{
    await Console.Error.WriteLineAsync("usage: Mnemora.Agents.TurnProcess <agent> <thread> <user message> <model's answer>");
    return 2;
}

var services = new ServiceCollection();
services.AddMnemoraClient();
await using var provider = services.BuildServiceProvider();
var model = new ScriptedChatClient(answer);
var agent = new ChatClientAgent(model, new ChatClientAgentOptions
{
    ChatHistoryProvider = new MnemoraChatHistoryProvider(provider.GetRequiredService<MnemoraClient>(), agentId, threadId),
});
await agent.RunAsync(message, await agent.CreateSessionAsync());

foreach (var seen in model.Requests.Single())
{
    Console.WriteLine($"{seen.Role}: {seen.Text}");
}

return 0;
