using System.Text;
using Microsoft.Extensions.AI;
using Mnemora.Client;

namespace Mnemora.Samples.SupportAgent;

/// <summary>What the agent answered, and what it logged and learned doing so.</summary>
/// <param name="Answer">The reply to the customer.</param>
/// <param name="TicketId">The session the conversation was logged under.</param>
/// <param name="Context">The customer's knowledge the answer was built from.</param>
/// <param name="Learned">The semantic memory stored from the message, if it taught the agent something.</param>
public sealed record SupportReply(string Answer, string TicketId, IReadOnlyList<SemanticMemory> Context, SemanticMemory? Learned);

/// <summary>
/// <c>handle_customer_message</c> of the product brief: each customer's client carries that customer's
/// key, so every search, log and write below touches that customer's tenant only.
/// </summary>
public sealed class SupportAgent(IChatClient chat)
{
    /// <summary>The agent id every customer uses: the tenant, not the agent id, keeps them apart.</summary>
    public const string AgentId = "support-agent";

    private const string NotePrefix = "Note:";

    public async Task<SupportReply> HandleCustomerMessageAsync(MnemoraClient customer, string message, string ticketId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(customer);

        // Search this customer's knowledge base only.
        var relevant = await customer.SearchMemoryAsync(message, agentId: AgentId, topK: 5, cancellationToken: cancellationToken);

        // Build context from customer-specific memories.
        var context = new StringBuilder("You are this customer's support agent. Answer only from their knowledge:\n");
        foreach (var doc in relevant)
        {
            context.Append("- ").Append(doc.Content).Append('\n');
        }

        // The model call, with the customer-specific context.
        var response = await chat.GetResponseAsync([new(ChatRole.System, context.ToString()), new(ChatRole.User, message)], cancellationToken: cancellationToken);
        var answer = response.Text;

        // Log the interaction to this customer's episodic memory.
        await customer.StoreEpisodeAsync(AgentId, ticketId, EpisodeType.Conversation, new System.Text.Json.Nodes.JsonObject { ["role"] = "user", ["message"] = message }, cancellationToken: cancellationToken);
        await customer.StoreEpisodeAsync(AgentId, ticketId, EpisodeType.Conversation, new System.Text.Json.Nodes.JsonObject { ["role"] = "assistant", ["message"] = answer }, cancellationToken: cancellationToken);

        // Store any new knowledge the agent learned.
        SemanticMemory? learned = null;
        if (ShouldStoreKnowledge(message))
        {
            learned = await customer.StoreMemoryAsync(AgentId, ExtractKnowledge(message), metadata: new() { ["source"] = "conversation", ["ticket"] = ticketId }, cancellationToken: cancellationToken);
        }

        return new SupportReply(answer, ticketId, relevant, learned);
    }

    /// <summary>A stand-in for a model's judgment: the customer marks a fact to remember with "Note:".</summary>
    private static bool ShouldStoreKnowledge(string message) => message.StartsWith(NotePrefix, StringComparison.OrdinalIgnoreCase);

    private static string ExtractKnowledge(string message)
    {
        var fact = message[NotePrefix.Length..].Trim();
        return char.ToUpperInvariant(fact[0]) + fact[1..];
    }
}
