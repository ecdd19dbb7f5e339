using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;
using Mnemora.Api.Embeddings;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Agents;

/// <summary>
/// One ranked list over semantic memory and episodes. The query is embedded once; semantic memories are searched in
/// PostgreSQL in hybrid mode (words and meaning fused), and the agent's <see cref="EpisodeWindow"/> newest episodes are
/// compared with the query by their words and by the cosine similarity of their embeddings, which
/// <see cref="EpisodeEmbeddings"/> keeps (episodes are immutable, so an episode is embedded once, not per search).
/// A hit whose text holds the query's words (<see cref="QueryTerms"/>) ranks above every hit that only means the same.
/// </summary>
public sealed class MemorySearch(
    SemanticMemoryRepository semantic,
    RecentEpisodes episodes,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    EpisodeEmbeddings episodeEmbeddings,
    IUsageMeter usage)
{
    /// <summary>How many of the agent's newest episodes are compared with the query.</summary>
    public const int EpisodeWindow = 50;

    /// <summary>Characters of an episode's content that are embedded and matched; the start of a long episode says what it is about.</summary>
    public const int EpisodeTextCharacters = 2_000;

    public const string TextMatch = "text_match";
    public const string SemanticMatch = "semantic_match";

    public async Task<IReadOnlyList<MemoryMatch>> SearchAsync(string tenantId, string query, string? agentId, int topK, double threshold, CancellationToken cancellationToken)
    {
        // Episodes belong to an agent's partition: without an agent only semantic memory is searched.
        var recentTask = agentId is null
            ? Task.FromResult<IReadOnlyList<EpisodeRecord>>([])
            : episodes.ListAsync(tenantId, agentId, EpisodeWindow, cancellationToken);
        var queryVector = (await embeddings.GenerateAsync([query], EmbeddingWork.For(tenantId, EmbeddingLane.Interactive), cancellationToken))[0].Vector.ToArray();
        var semanticTask = semantic.SearchAsync(
            tenantId, new SemanticQuery(queryVector, agentId, null, null, topK, threshold, SearchMode.Hybrid, query), cancellationToken);

        var terms = QueryTerms.Parse(query);
        var recent = (await recentTask).Select(e => (Episode: e, Text: Text(e))).Where(e => !string.IsNullOrWhiteSpace(e.Text)).ToList();
        var vectors = await episodeEmbeddings.GetAsync(tenantId, agentId ?? string.Empty, recent, cancellationToken);

        var matches = new List<MemoryMatch>();
        for (var i = 0; i < recent.Count; i++)
        {
            var similarity = Math.Clamp(TensorPrimitives.CosineSimilarity(queryVector, vectors.Vectors[i]), 0, 1);
            if (Rank(terms, recent[i].Text, similarity, threshold) is { } ranked)
            {
                matches.Add(new MemoryMatch(similarity, ranked.Score, ranked.Relevance, null, recent[i].Episode));
            }
        }

        foreach (var hit in await semanticTask)
        {
            // A semantic hit found by its words alone may sit below the threshold: keep it only when its text matches.
            if (Rank(terms, hit.Memory.Content, hit.Similarity, threshold) is { } ranked)
            {
                matches.Add(new MemoryMatch(hit.Similarity, ranked.Score, ranked.Relevance, hit.Memory, null));
            }
        }

        await usage.RecordAsync(tenantId, new UsageDelta(EmbeddingsGenerated: 1 + vectors.Generated), cancellationToken);
        return [.. matches
            .OrderByDescending(m => m.Score)
            .ThenByDescending(m => m.Similarity)
            .ThenByDescending(m => m.Episode?.Position.ToString() ?? "", StringComparer.Ordinal)
            .Take(topK)];
    }

    /// <summary>
    /// A text match scores 1 + the share of the query's terms it holds (identifiers counted twice), so it ranks above
    /// every match by meaning, which scores its similarity; null when it is neither.
    /// </summary>
    private static (double Score, string Relevance)? Rank(QueryTerms terms, string text, double similarity, double threshold)
    {
        var words = terms.Match(text);
        if (words.IsTextMatch)
        {
            return (1 + words.Share, TextMatch);
        }

        return similarity >= threshold ? (similarity, SemanticMatch) : null;
    }

    /// <summary>What is embedded and matched of an episode: its text when the content is a string, else its JSON.</summary>
    private static string Text(EpisodeRecord episode)
    {
        using var content = JsonDocument.Parse(episode.ContentJson);
        var text = content.RootElement.ValueKind == JsonValueKind.String ? content.RootElement.GetString()! : episode.ContentJson;
        return text.Length > EpisodeTextCharacters ? text[..EpisodeTextCharacters] : text;
    }
}

/// <summary>
/// Episode embeddings in process memory, keyed by tenant, agent and episode id: episodes never change, so an entry never
/// goes stale. Bounded by <see cref="MaxEntries"/> (about 1.5 KB each) and dropped after an hour unused, so a purged
/// agent's vectors do not linger.
/// </summary>
public sealed class EpisodeEmbeddings(IEmbeddingGenerator<string, Embedding<float>> embeddings) : IDisposable
{
    public const int MaxEntries = 20_000;

    private static readonly TimeSpan s_unused = TimeSpan.FromHours(1);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxEntries });

    /// <summary>The vectors of <paramref name="episodes"/> in order, and how many had to be embedded now.</summary>
    public async Task<(IReadOnlyList<float[]> Vectors, int Generated)> GetAsync(
        string tenantId, string agentId, IReadOnlyList<(EpisodeRecord Episode, string Text)> episodes, CancellationToken cancellationToken)
    {
        var vectors = new float[]?[episodes.Count];
        var missing = new List<int>();
        for (var i = 0; i < episodes.Count; i++)
        {
            if (_cache.TryGetValue((tenantId, agentId, episodes[i].Episode.Id), out float[]? vector))
            {
                vectors[i] = vector;
            }
            else
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            var generated = await embeddings.GenerateAsync(missing.Select(i => episodes[i].Text), EmbeddingWork.For(tenantId, EmbeddingLane.Interactive), cancellationToken);
            for (var j = 0; j < missing.Count; j++)
            {
                var vector = generated[j].Vector.ToArray();
                vectors[missing[j]] = vector;
                _cache.Set((tenantId, agentId, episodes[missing[j]].Episode.Id), vector, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = s_unused });
            }
        }

        return ([.. vectors.Select(v => v!)], missing.Count);
    }

    public void Dispose() => _cache.Dispose();
}

/// <summary>A hit of the whole-agent search: a semantic memory or an episode, its cosine similarity, the score it was ranked by and its relevance label.</summary>
public sealed record MemoryMatch(double Similarity, double Score, string Relevance, SemanticMemoryRecord? Memory, EpisodeRecord? Episode);
