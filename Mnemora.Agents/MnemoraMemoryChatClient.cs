using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Mnemora.Client;

namespace Mnemora.Agents;

/// <summary>
/// An <see cref="IChatClient"/> middleware that gives any chat client memory: before each call it
/// recalls the memories relevant to the latest user message (and optionally the session's state)
/// into a system message the model receives; after each call it logs the user's latest turn and
/// the assistant's answer as <c>conversation</c> episodes, in order.
/// </summary>
/// <remarks>Add it with <see cref="MnemoraChatClientBuilderExtensions.UseMnemoraMemory(ChatClientBuilder, MnemoraClient, Action{MnemoraMemoryOptions})"/>.</remarks>
public sealed class MnemoraMemoryChatClient : DelegatingChatClient
{
    private readonly MnemoraClient _memory;
    private readonly MnemoraMemoryOptions _options;

    /// <summary>Wraps <paramref name="innerClient"/> with the memory of <paramref name="options"/>' agent.</summary>
    /// <param name="innerClient">The chat client that answers.</param>
    /// <param name="memory">The Mnemora client (its API key decides the tenant).</param>
    /// <param name="options">The agent, session and recall settings.</param>
    public MnemoraMemoryChatClient(IChatClient innerClient, MnemoraClient memory, MnemoraMemoryOptions options)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _memory = memory;
        _options = options;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var response = await base.GetResponseAsync(await WithMemoryAsync(request, cancellationToken), options, cancellationToken);
        await LogTurnAsync(request, response.Messages, cancellationToken);
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(await WithMemoryAsync(request, cancellationToken), options, cancellationToken))
        {
            updates.Add(update);
            yield return update;
        }

        await LogTurnAsync(request, updates.ToChatResponse().Messages, cancellationToken);
    }

    /// <summary>The caller's messages with the recalled memories as a system message after the caller's own system messages.</summary>
    private async Task<IReadOnlyList<ChatMessage>> WithMemoryAsync(IReadOnlyList<ChatMessage> request, CancellationToken cancellationToken)
    {
        if (await MemoryRecall.RecallAsync(_memory, _options, request, cancellationToken) is not { } recalled)
        {
            return request;
        }

        var leadingSystem = request.TakeWhile(m => m.Role == ChatRole.System).Count();
        return [.. request.Take(leadingSystem), recalled, .. request.Skip(leadingSystem)];
    }

    /// <summary>Only the latest user message is new: callers resend the whole conversation on each call.</summary>
    private Task LogTurnAsync(IReadOnlyList<ChatMessage> request, IEnumerable<ChatMessage> answer, CancellationToken cancellationToken)
    {
        if (!_options.LogTurns)
        {
            return Task.CompletedTask;
        }

        var latestUser = request.LastOrDefault(m => m.Role == ChatRole.User);
        return MemoryRecall.LogAsync(_memory, _options.AgentId, _options.SessionId, [.. latestUser is null ? [] : new[] { latestUser }, .. answer], cancellationToken);
    }
}

/// <summary>Adds Mnemora memory to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class MnemoraChatClientBuilderExtensions
{
    /// <summary>Recalls memories into each call and logs each turn as episodes (see <see cref="MnemoraMemoryChatClient"/>).</summary>
    /// <param name="builder">The chat client pipeline.</param>
    /// <param name="memory">The Mnemora client (its API key decides the tenant).</param>
    /// <param name="configure">Sets the agent (required), session and recall settings.</param>
    /// <returns>The builder, to chain further middleware.</returns>
    public static ChatClientBuilder UseMnemoraMemory(this ChatClientBuilder builder, MnemoraClient memory, Action<MnemoraMemoryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new MnemoraMemoryOptions();
        configure(options);
        return builder.Use(inner => new MnemoraMemoryChatClient(inner, memory, options));
    }

    /// <summary>As <see cref="UseMnemoraMemory(ChatClientBuilder, MnemoraClient, Action{MnemoraMemoryOptions})"/>, with the <see cref="MnemoraClient"/> from the pipeline's services (see <c>AddMnemoraClient</c>).</summary>
    /// <param name="builder">The chat client pipeline.</param>
    /// <param name="configure">Sets the agent (required), session and recall settings.</param>
    /// <returns>The builder, to chain further middleware.</returns>
    public static ChatClientBuilder UseMnemoraMemory(this ChatClientBuilder builder, Action<MnemoraMemoryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new MnemoraMemoryOptions();
        configure(options);
        return builder.Use((inner, services) => new MnemoraMemoryChatClient(
            inner, (MnemoraClient?)services.GetService(typeof(MnemoraClient)) ?? throw new InvalidOperationException("No MnemoraClient is registered: call services.AddMnemoraClient()."), options));
    }
}
