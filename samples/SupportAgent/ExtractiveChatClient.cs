using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Mnemora.Samples.SupportAgent;

/// <summary>
/// The offline default model: answers a question with the line of the given knowledge that shares
/// the most words with it, or says it does not know; acknowledges a statement. Deterministic, no network. Replace it with
/// any <see cref="IChatClient"/> (OpenAI, Azure OpenAI, Ollama, …) through dependency injection.
/// </summary>
public sealed class ExtractiveChatClient : IChatClient
{
    /// <summary>What the model says when the knowledge holds nothing on the question.</summary>
    public const string NoAnswer = "I don't have that on file yet; a colleague will follow up on this ticket.";

    /// <summary>What the model says to a statement rather than a question.</summary>
    public const string Acknowledgement = "Thank you, I have noted that for your account.";

    private static readonly HashSet<string> s_stopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "you", "your", "our", "are", "can", "how", "what", "who", "when", "where", "which", "why",
        "does", "did", "have", "has", "had", "with", "from", "this", "that", "there", "ask", "long", "get", "was", "will", "not",
    };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var question = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var knowledge = list
            .Where(m => m.Role == ChatRole.System)
            .SelectMany(m => m.Text.Split('\n'))
            .Where(line => line.StartsWith("- ", StringComparison.Ordinal))
            .Select(line => line[2..].Trim());

        if (!question.TrimEnd().EndsWith('?'))
        {
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, Acknowledgement)) { ModelId = "extractive-offline" });
        }

        var asked = Words(question);
        var best = knowledge
            .Select(line => (Line: line, Shared: Words(line).Count(asked.Contains)))
            .Where(candidate => candidate.Shared > 0)
            .OrderByDescending(candidate => candidate.Shared)
            .Select(candidate => candidate.Line)
            .FirstOrDefault();

        var answer = best is null ? NoAnswer : $"Here is what I have on file: {best}";
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = "extractive-offline" });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this : null;

    public void Dispose()
    {
    }

    /// <summary>Content words, lower-cased, with a plural 's' dropped: "refunds" matches "refund".</summary>
    private static HashSet<string> Words(string text) =>
        [.. text.ToLowerInvariant()
            .Split([' ', '.', ',', '?', '!', ';', ':', '\'', '"', '(', ')', '-'], StringSplitOptions.RemoveEmptyEntries)
            .Where(word => word.Length >= 3 && !s_stopWords.Contains(word))
            .Select(word => word.Length > 3 && word.EndsWith('s') ? word[..^1] : word)];
}
