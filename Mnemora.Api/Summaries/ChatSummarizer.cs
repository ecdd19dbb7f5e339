using System.Globalization;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Summaries;

/// <summary>
/// A summary written by the configured chat model from the episodes' text (the newest within
/// <see cref="SummaryOptions.MaxPromptCharacters"/>). When the model fails or answers nothing, the
/// extractive summary is stored instead, and the failure is logged: a summary route that works
/// offline should not stop working when the model is away.
/// </summary>
internal sealed partial class ChatSummarizer(
    IChatClient chat,
    ExtractiveSummarizer fallback,
    IOptions<SummaryOptions> options,
    ILogger<ChatSummarizer> logger) : IEpisodeSummarizer
{
    public const string Method = "chat";

    public async Task<EpisodeSummary> SummarizeAsync(string tenantId, IReadOnlyList<EpisodeRecord> episodes, string? sessionId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        List<ChatMessage> messages =
        [
            new(ChatRole.System, string.Create(CultureInfo.InvariantCulture,
                $"""
                You condense an AI agent's episodic memory (conversation turns, actions, observations, tool calls) into a factual summary
                for its long-term memory. Keep names, decisions, preferences, numbers, dates and open questions; leave out small talk.
                Write plain text without a preamble, at most {settings.MaxSummaryCharacters} characters.
                """)),
            new(ChatRole.User, Prompt(episodes, sessionId, settings.MaxPromptCharacters)),
        ];

        try
        {
            var response = await chat.GetResponseAsync(messages, new ChatOptions { Temperature = 0.2f }, cancellationToken);
            var text = response.Text.Trim();
            if (text.Length > 0)
            {
                return new EpisodeSummary(text.Length > settings.MaxSummaryCharacters ? text[..settings.MaxSummaryCharacters] : text, Method, 0);
            }

            LogEmpty(settings.Model);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(ex, settings.Model);
        }

        return await fallback.SummarizeAsync(tenantId, episodes, sessionId, cancellationToken);
    }

    /// <summary>The episodes as lines <c>[time, type] text</c>, oldest first, the oldest dropped when over the budget.</summary>
    private static string Prompt(IReadOnlyList<EpisodeRecord> episodes, string? sessionId, int budget)
    {
        var lines = new List<string>();
        var used = 0;
        for (var i = episodes.Count - 1; i >= 0 && used < budget; i--)
        {
            var line = $"[{EpisodeText.Minute(episodes[i].Timestamp)}, {episodes[i].Type}, session {episodes[i].SessionId}] {EpisodeText.OneLine(EpisodeText.Of(episodes[i]))}";
            lines.Add(line);
            used += line.Length + 1;
        }

        lines.Reverse();
        var prompt = new StringBuilder(ExtractiveSummarizer.Header(episodes, sessionId)).Append('\n');
        foreach (var line in lines)
        {
            prompt.Append(line).Append('\n');
        }

        return prompt.ToString();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The chat model {Model} failed to summarise; the extractive summary is stored instead")]
    private partial void LogFailed(Exception exception, string? model);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The chat model {Model} returned an empty summary; the extractive summary is stored instead")]
    private partial void LogEmpty(string? model);
}
