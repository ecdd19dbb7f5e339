using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Mnemora.Api.Embeddings;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Summaries;

/// <summary>
/// An offline summary: the episodes' sentences are embedded (the configured embedding model, local by
/// default), and the ones closest to their centroid (what the episodes are mostly about) are kept,
/// each penalised by its similarity to sentences already kept (maximal marginal relevance), so the
/// summary covers several topics instead of repeating one. Kept sentences are listed in time order
/// with their episode's time and type, under a line that says what was summarised.
/// </summary>
internal sealed class ExtractiveSummarizer(IEmbeddingGenerator<string, Embedding<float>> embeddings, IOptions<SummaryOptions> options) : IEpisodeSummarizer
{
    public const string Method = "extractive";

    /// <summary>Weight of relevance (closeness to the centroid) against novelty (distance from what is kept).</summary>
    private const float Lambda = 0.7f;

    public async Task<EpisodeSummary> SummarizeAsync(string tenantId, IReadOnlyList<EpisodeRecord> episodes, string? sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var settings = options.Value;
        var header = Header(episodes, sessionId);
        var candidates = Candidates(episodes, settings.MaxCandidateSentences);
        if (candidates.Count == 0)
        {
            return new EpisodeSummary(header, Method, 0);
        }

        var generated = await embeddings.GenerateAsync(candidates.Select(c => c.Text), EmbeddingWork.For(tenantId, EmbeddingLane.Bulk), cancellationToken);
        var vectors = generated.Select(e => Normalized(e.Vector.ToArray())).ToArray();
        var chosen = Choose(vectors, settings.MaxSentences, settings.MaxSummaryCharacters - header.Length, candidates);

        var text = new StringBuilder(header);
        foreach (var index in chosen.Order())
        {
            var candidate = candidates[index];
            text.Append(CultureInfo.InvariantCulture, $"\n- [{EpisodeText.Minute(candidate.Episode.Timestamp)}, {candidate.Episode.Type}] {candidate.Text}");
        }

        var summary = text.ToString();
        return new EpisodeSummary(summary.Length > settings.MaxSummaryCharacters ? summary[..settings.MaxSummaryCharacters] : summary, Method, candidates.Count);
    }

    /// <summary>What was summarised: how many episodes of which session, from when to when, of which types.</summary>
    internal static string Header(IReadOnlyList<EpisodeRecord> episodes, string? sessionId)
    {
        var types = string.Join(", ", episodes.GroupBy(e => e.Type, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}")));
        var scope = sessionId is null
            ? $"{episodes.Select(e => e.SessionId).Distinct(StringComparer.Ordinal).Count()} session(s)"
            : $"session {sessionId}";
        return string.Create(CultureInfo.InvariantCulture,
            $"Summary of {episodes.Count} episode(s), {scope}, {EpisodeText.Minute(episodes[0].Timestamp)} to {EpisodeText.Minute(episodes[^1].Timestamp)} ({types}):");
    }

    /// <summary>The sentences of every episode, without repeats, sampled evenly over time when there are more than <paramref name="max"/>.</summary>
    private static List<Candidate> Candidates(IReadOnlyList<EpisodeRecord> episodes, int max)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var all = episodes
            .SelectMany(e => EpisodeText.Sentences(EpisodeText.Of(e)).Select(s => new Candidate(e, s)))
            .Where(c => seen.Add(c.Text))
            .ToList();
        if (all.Count <= max)
        {
            return all;
        }

        var step = all.Count / (double)max;
        return [.. Enumerable.Range(0, max).Select(i => all[(int)(i * step)])];
    }

    /// <summary>Maximal marginal relevance against the centroid, within a sentence count and a character budget.</summary>
    private static List<int> Choose(float[][] vectors, int maxSentences, int budget, List<Candidate> candidates)
    {
        var centroid = new float[vectors[0].Length];
        foreach (var vector in vectors)
        {
            TensorPrimitives.Add(centroid, vector, centroid);
        }

        centroid = Normalized(centroid);
        var relevance = vectors.Select(v => TensorPrimitives.Dot(v, centroid)).ToArray();
        var redundancy = new float[vectors.Length];
        var chosen = new List<int>();
        var used = 0;
        while (chosen.Count < maxSentences)
        {
            var best = -1;
            var bestScore = float.NegativeInfinity;
            for (var i = 0; i < vectors.Length; i++)
            {
                var score = (Lambda * relevance[i]) - ((1 - Lambda) * redundancy[i]);
                if (!chosen.Contains(i) && used + candidates[i].Text.Length + 30 <= budget && score > bestScore)
                {
                    (best, bestScore) = (i, score);
                }
            }

            if (best < 0)
            {
                break;
            }

            chosen.Add(best);
            used += candidates[best].Text.Length + 30;
            for (var i = 0; i < vectors.Length; i++)
            {
                redundancy[i] = Math.Max(redundancy[i], TensorPrimitives.Dot(vectors[i], vectors[best]));
            }
        }

        return chosen;
    }

    private static float[] Normalized(float[] vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        return vector;
    }

    private sealed record Candidate(EpisodeRecord Episode, string Text);
}
