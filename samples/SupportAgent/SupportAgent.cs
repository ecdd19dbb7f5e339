using Microsoft.Extensions.AI;
using Mnemora.Agents;
using Mnemora.Client;

namespace Mnemora.Samples.SupportAgent;

/// <summary>What the agent answered, and what it logged and learned doing so.</summary>
/// <param name="Answer">The reply to the customer.</param>
/// <param name="TicketId">The session the conversation was logged under.</param>
/// <param name="Context">The recalled lines the model received with the message (memories and earlier turns).</param>
/// <param name="Learned">The semantic memory stored from the message, if it taught the agent something.</param>
public sealed record SupportReply(string Answer, string TicketId, IReadOnlyList<string> Context, SemanticMemory? Learned);

/// <summary>
/// <c>handle_customer_message</c> of the product brief, with no HTTP code of its own: the chat model is
/// wrapped in Mnemora's memory middleware (<see cref="MnemoraChatClientBuilderExtensions.UseMnemoraMemory(ChatClientBuilder, MnemoraClient, Action{MnemoraMemoryOptions})"/>),
/// which recalls the customer's memories into the request and logs both turns as episodes of the ticket.
/// Each customer's client carries that customer's key, so every recall, log and write touches that
/// customer's tenant only.
/// </summary>
public sealed class SupportAgent(IChatClient model)
{
    /// <summary>The agent id every customer uses: the tenant, not the agent id, keeps them apart.</summary>
    public const string AgentId = "support-agent";

    private const string Instructions = "You are this customer's support agent. Answer only from what you recall about them.";
    private const string NotePrefix = "Note:";

    public async Task<SupportReply> HandleCustomerMessageAsync(MnemoraClient customer, string message, string ticketId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customer);

        // The witness sits between the memory and the model: it keeps what the model was sent. The wrappers are
        // not disposed, since disposing them would dispose the shared model.
        var witness = new ModelWitness(model);
        var chat = new ChatClientBuilder(witness)
            .UseMnemoraMemory(customer, memory =>
            {
                memory.AgentId = AgentId;
                memory.SessionId = ticketId;
                memory.TopK = 5;
            })
            .Build();

        var response = await chat.GetResponseAsync([new(ChatRole.System, Instructions), new(ChatRole.User, message)], cancellationToken: cancellationToken);

        // The agent's own judgment of what to remember; the middleware has logged the turns already.
        SemanticMemory? learned = null;
        if (ShouldStoreKnowledge(message))
        {
            learned = await customer.StoreMemoryAsync(AgentId, ExtractKnowledge(message), metadata: new() { ["source"] = "conversation", ["ticket"] = ticketId }, cancellationToken: cancellationToken);
        }

        return new SupportReply(response.Text, ticketId, witness.RecalledLines(), learned);
    }

    /// <summary>A stand-in for a model's judgment: the customer marks a fact to remember with "Note:".</summary>
    private static bool ShouldStoreKnowledge(string message) => message.StartsWith(NotePrefix, StringComparison.OrdinalIgnoreCase);

    private static string ExtractKnowledge(string message)
    {
        var fact = message[NotePrefix.Length..].Trim();
        return char.ToUpperInvariant(fact[0]) + fact[1..];
    }

    /// <summary>Passes calls to the model and keeps the messages of the last one.</summary>
    private sealed class ModelWitness(IChatClient model) : DelegatingChatClient(model)
    {
        private IReadOnlyList<ChatMessage> _sent = [];

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            _sent = [.. messages];
            return base.GetResponseAsync(_sent, options, cancellationToken);
        }

        /// <summary>The recalled lines ("- …") of the system messages the model received.</summary>
        public IReadOnlyList<string> RecalledLines() =>
            [.. _sent.Where(m => m.Role == ChatRole.System)
                .SelectMany(m => m.Text.Split('\n'))
                .Where(line => line.StartsWith("- ", StringComparison.Ordinal))
                .Select(line => line[2..].Trim())];
    }
}
