using Mnemora.Storage.Memory;

namespace Mnemora.Api.Summaries;

/// <summary>Condenses episodes (oldest first) into the text of one semantic memory.</summary>
internal interface IEpisodeSummarizer
{
    Task<EpisodeSummary> SummarizeAsync(string tenantId, IReadOnlyList<EpisodeRecord> episodes, string? sessionId, CancellationToken cancellationToken);
}

/// <summary>A summary, how it was made (<c>extractive</c> or <c>chat</c>), and the embeddings its making generated.</summary>
internal sealed record EpisodeSummary(string Text, string Method, int EmbeddingsGenerated);
