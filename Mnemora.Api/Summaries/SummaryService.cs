using System.Text.Json;
using Microsoft.Extensions.Options;
using Mnemora.Api.Semantic;
using Mnemora.Api.Tenancy;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Summaries;

/// <summary>What to summarise: at most <see cref="NumEpisodes"/> of the newest episodes within the filters.</summary>
internal sealed record SummaryRequest(string AgentId, string? SessionId, DateTimeOffset? From, DateTimeOffset? To, int NumEpisodes, string Namespace);

/// <summary>
/// Picks the episodes (the newest <c>num_episodes</c> in the session and time range, hot or cold), has
/// them summarised and stores the summary as a semantic memory whose metadata says what it covers.
/// </summary>
internal sealed class SummaryService(EpisodeStore episodes, IEpisodeSummarizer summarizer, SemanticMemoryService semantic, IUsageMeter usage, IOptions<SummaryOptions> options)
{
    public const string Source = "episodic_summary";

    /// <summary>The stored summary, or null when no episode matches.</summary>
    public async Task<SemanticStoreResult?> SummarizeAsync(TenantContext tenant, SummaryRequest request, CancellationToken cancellationToken)
    {
        var chosen = await NewestAsync(tenant.TenantId, request, cancellationToken);
        if (chosen.Count == 0)
        {
            return null;
        }

        var summary = await summarizer.SummarizeAsync(tenant.TenantId, chosen, request.SessionId, cancellationToken);
        if (summary.EmbeddingsGenerated > 0)
        {
            await usage.RecordAsync(tenant.TenantId, new UsageDelta(EmbeddingsGenerated: summary.EmbeddingsGenerated), cancellationToken);
        }

        var metadata = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["source"] = Source,
            ["method"] = summary.Method,
            ["session_id"] = request.SessionId,
            ["episode_count"] = chosen.Count,
            ["first_episode_id"] = chosen[0].Id,
            ["last_episode_id"] = chosen[^1].Id,
            ["from"] = chosen[0].Timestamp,
            ["to"] = chosen[^1].Timestamp,
        });
        return await semantic.StoreAsync(tenant, request.AgentId, request.Namespace, summary.Text, metadata, cancellationToken);
    }

    /// <summary>
    /// The newest episodes within the filters, oldest first, read backwards: at most <c>num_episodes</c>
    /// (1,000) and <see cref="SummaryOptions.MaxWindowBytes"/> of episode JSON, however long the history.
    /// </summary>
    private async Task<List<EpisodeRecord>> NewestAsync(string tenantId, SummaryRequest request, CancellationToken cancellationToken) =>
        [.. await episodes.NewestAsync(tenantId, request.AgentId,
            new EpisodeQuery(request.SessionId, From: request.From, To: request.To, Limit: request.NumEpisodes), options.Value.MaxWindowBytes, cancellationToken)];
}
