using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemora.Client;
using Microsoft.Extensions.AI;

namespace Mnemora.Agents;

/// <summary>What the integrations share: recall as one context message, and turns as conversation episodes.</summary>
internal static class MemoryRecall
{
    public const string RoleKey = "role";
    public const string TextKey = "text";

    /// <summary>The memories (and optionally the state) relevant to the latest user message, as one system message; null when nothing is found.</summary>
    public static async Task<ChatMessage?> RecallAsync(MnemoraClient client, MnemoraMemoryOptions options, IEnumerable<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var query = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text;
        var lines = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(query))
        {
            var results = await client.SearchAllMemoryAsync(query, options.AgentId, options.TopK, cancellationToken);
            foreach (var result in results)
            {
                lines.Append("- ").AppendLine(Describe(result.Content));
            }
        }

        if (options.IncludeState)
        {
            try
            {
                var state = await client.GetStateAsync(options.AgentId, options.SessionId, cancellationToken);
                lines.Append("- Working state (version ").Append(state.Version).Append("): ").AppendLine(state.Data.ToJsonString());
            }
            catch (NotFoundException)
            {
                // A session without state yet: nothing to add.
            }
        }

        return lines.Length == 0 ? null : new ChatMessage(ChatRole.System, options.ContextHeader + "\n" + lines.ToString().TrimEnd());
    }

    /// <summary>Logs each message with text as a <c>conversation</c> episode, in order.</summary>
    public static async Task LogAsync(MnemoraClient client, string agentId, string sessionId, IEnumerable<ChatMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            if (string.IsNullOrEmpty(message.Text) || (message.Role != ChatRole.User && message.Role != ChatRole.Assistant))
            {
                continue;
            }

            var content = new JsonObject { [RoleKey] = message.Role.Value, [TextKey] = message.Text };
            await client.StoreEpisodeAsync(agentId, sessionId, EpisodeType.Conversation, content, cancellationToken: cancellationToken);
        }
    }

    /// <summary>A logged conversation turn as a chat message; other episodes are not part of a chat.</summary>
    public static ChatMessage? ToMessage(Episode episode) =>
        episode.Type == EpisodeType.Conversation
        && episode.Content is JsonObject turn
        && turn[RoleKey]?.GetValue<string>() is { } role
        && turn[TextKey]?.GetValue<string>() is { } text
            ? new ChatMessage(new ChatRole(role), text) { MessageId = episode.Id, CreatedAt = episode.Timestamp }
            : null;

    private static string Describe(JsonNode content) => content switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonObject turn when turn[TextKey] is JsonValue text && text.GetValueKind() == JsonValueKind.String =>
            $"({turn[RoleKey]?.ToString() ?? "turn"}) {text.GetValue<string>()}",
        _ => content.ToJsonString(),
    };
}
