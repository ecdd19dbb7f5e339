using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Mnemora.Api.Storage.Semantic;
using Mnemora.Storage.Memory;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Agents;

/// <summary>
/// One ranked list over semantic memory and episodes. The query is embedded once; semantic memories
/// are searched in PostgreSQL as <c>/v1/memory/semantic/search</c> does, and the agent's
/// <see cref="EpisodeWindow"/> newest episodes are embedded with the same model and scored by cosine
/// similarity to the query, so both kinds share one scale and an episode matches by meaning, not
/// only by words.
/// </summary>
public sealed class MemorySearch(
    SemanticMemoryRepository semantic,
    RecentEpisodes episodes,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IUsageMeter usage)
{
    /// <summary>How many of the agent's newest episodes are compared with the query (embedding each costs a few milliseconds).</summary>
    public const int EpisodeWindow = 50;

    /// <summary>Characters of an episode's content that are embedded; the start of a long episode says what it is about.</summary>
    public const int EpisodeTextCharacters = 2_000;

    public async Task<IReadOnlyList<MemoryMatch>> SearchAsync(string tenantId, string query, string? agentId, int topK, double threshold, CancellationToken cancellationToken)
    {
        // Episodes belong to an agent's partition: without an agent only semantic memory is searched.
        var recentTask = agentId is null
            ? Task.FromResult<IReadOnlyList<EpisodeRecord>>([])
            : episodes.ListAsync(tenantId, agentId, EpisodeWindow, cancellationToken);
        var queryVector = (await embeddings.GenerateAsync([query], cancellationToken: cancellationToken))[0].Vector.ToArray();
        var semanticTask = semantic.SearchAsync(tenantId, new SemanticQuery(queryVector, agentId, null, null, topK, threshold), cancellationToken);

        var recent = (await recentTask).Select(e => (Episode: e, Text: Text(e))).Where(e => !string.IsNullOrWhiteSpace(e.Text)).ToList();
        var matches = new List<MemoryMatch>();
        if (recent.Count > 0)
        {
            var vectors = await embeddings.GenerateAsync(recent.Select(e => e.Text), cancellationToken: cancellationToken);
            for (var i = 0; i < recent.Count; i++)
            {
                var relevance = Math.Clamp(TensorPrimitives.CosineSimilarity(queryVector, vectors[i].Vector.Span), 0, 1);
                if (relevance >= threshold)
                {
                    matches.Add(new MemoryMatch(relevance, null, recent[i].Episode));
                }
            }
        }

        matches.AddRange((await semanticTask).Select(m => new MemoryMatch(m.Similarity, m.Memory, null)));
        await usage.RecordAsync(tenantId, new UsageDelta(EmbeddingsGenerated: 1 + recent.Count), cancellationToken);
        return [.. matches.OrderByDescending(m => m.Score).ThenByDescending(m => m.Episode?.Position.ToString() ?? "", StringComparer.Ordinal).Take(topK)];
    }

    /// <summary>What is embedded of an episode: its text when the content is a string, else its JSON.</summary>
    private static string Text(EpisodeRecord episode)
    {
        using var content = JsonDocument.Parse(episode.ContentJson);
        var text = content.RootElement.ValueKind == JsonValueKind.String ? content.RootElement.GetString()! : episode.ContentJson;
        return text.Length > EpisodeTextCharacters ? text[..EpisodeTextCharacters] : text;
    }
}

/// <summary>A hit of the whole-agent search: a semantic memory or an episode, with its score (cosine similarity to the query).</summary>
public sealed record MemoryMatch(double Score, SemanticMemoryRecord? Memory, EpisodeRecord? Episode);
