using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Mnemora.Client;

namespace Mnemora.Agents;

/// <summary>
/// Chat history for Microsoft Agent Framework kept in Mnemora's episodic memory: each run's new
/// messages are logged as <c>conversation</c> episodes, and each run starts from the session's replay,
/// so a conversation survives a process restart, whether its episodes are hot (DynamoDB) or cold (S3).
/// </summary>
public sealed class MnemoraChatHistoryProvider : ChatHistoryProvider
{
    private readonly MnemoraClient _memory;
    private readonly string _agentId;
    private readonly string _sessionId;

    /// <summary>History of <paramref name="sessionId"/> of <paramref name="agentId"/>.</summary>
    /// <param name="memory">The Mnemora client (its API key decides the tenant).</param>
    /// <param name="agentId">The agent.</param>
    /// <param name="sessionId">The session (a conversation or thread id).</param>
    public MnemoraChatHistoryProvider(MnemoraClient memory, string agentId, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentException.ThrowIfNullOrWhiteSpace(agentId);
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        _memory = memory;
        _agentId = agentId;
        _sessionId = sessionId;
    }

    /// <summary>The session's logged conversation, oldest first.</summary>
    /// <param name="cancellationToken">Cancels the replay.</param>
    /// <returns>The messages; empty for a new session.</returns>
    public async Task<IReadOnlyList<ChatMessage>> GetMessagesAsync(CancellationToken cancellationToken = default)
    {
        var messages = new List<ChatMessage>();
        try
        {
            await foreach (var episode in _memory.ReplaySessionAsync(_agentId, _sessionId, cancellationToken))
            {
                if (MemoryRecall.ToMessage(episode) is { } message)
                {
                    messages.Add(message);
                }
            }
        }
        catch (NotFoundException)
        {
            // A session with no episodes yet.
        }

        return messages;
    }

    /// <inheritdoc />
    protected override async ValueTask<IEnumerable<ChatMessage>> ProvideChatHistoryAsync(InvokingContext context, CancellationToken cancellationToken = default) =>
        await GetMessagesAsync(cancellationToken);

    /// <inheritdoc />
    protected override async ValueTask StoreChatHistoryAsync(InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        await MemoryRecall.LogAsync(_memory, _agentId, _sessionId, [.. context.RequestMessages, .. context.ResponseMessages ?? []], cancellationToken);
    }
}
