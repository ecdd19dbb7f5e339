using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Mnemora.Client;

namespace Mnemora.Agents;

/// <summary>
/// Long-term memory for a Microsoft Agent Framework agent: before each run it recalls the memories
/// (and optionally the state) relevant to the new messages into the context; after each run it logs the
/// turns as episodes (unless <see cref="MnemoraMemoryOptions.LogTurns"/> is off, e.g. beside
/// <see cref="MnemoraChatHistoryProvider"/>) and remembers the facts <see cref="ExtractFacts"/> finds.
/// </summary>
public sealed class MnemoraMemoryProvider : MessageAIContextProvider
{
    private readonly MnemoraClient _memory;
    private readonly MnemoraMemoryOptions _options;

    /// <summary>Memory of <paramref name="options"/>' agent.</summary>
    /// <param name="memory">The Mnemora client (its API key decides the tenant).</param>
    /// <param name="options">The agent, session and recall settings.</param>
    public MnemoraMemoryProvider(MnemoraClient memory, MnemoraMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _memory = memory;
        _options = options;
    }

    /// <summary>Facts worth remembering from a run's request and response messages (none by default), stored as semantic memories.</summary>
    public Func<IReadOnlyList<ChatMessage>, IEnumerable<string>>? ExtractFacts { get; init; }

    /// <inheritdoc />
    protected override async ValueTask<IEnumerable<ChatMessage>> ProvideMessagesAsync(InvokingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await MemoryRecall.RecallAsync(_memory, _options, context.RequestMessages, cancellationToken) is { } recalled ? [recalled] : [];
    }

    /// <inheritdoc />
    protected override async ValueTask StoreAIContextAsync(AIContextProvider.InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.InvokeException is not null)
        {
            return;
        }

        IReadOnlyList<ChatMessage> turn = [.. context.RequestMessages, .. context.ResponseMessages ?? []];
        if (_options.LogTurns)
        {
            await MemoryRecall.LogAsync(_memory, _options.AgentId, _options.SessionId, turn, cancellationToken);
        }

        foreach (var fact in ExtractFacts?.Invoke(turn) ?? [])
        {
            await _memory.StoreMemoryAsync(_options.AgentId, fact, cancellationToken: cancellationToken);
        }
    }
}
