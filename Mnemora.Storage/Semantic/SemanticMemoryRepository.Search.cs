using Pgvector;
using Npgsql;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// Keyword and hybrid search. The keyword ranking is PostgreSQL full text over the generated <c>content_tsv</c>
/// (migration 0004) with the same tenant predicate and filters as the vector ranking, under the same row-level
/// security; hybrid fuses both rankings by reciprocal rank fusion.
/// </summary>
public sealed partial class SemanticMemoryRepository
{
    /// <summary>The rank offset of reciprocal rank fusion (the usual 60: a top rank in either list counts, no list dominates).</summary>
    public const int FusionRankOffset = 60;

    /// <summary>Query words turned into the any-word keyword query; a longer query's tail is left to the vector ranking.</summary>
    private const int MaxKeywordWords = 64;

    private async Task<IReadOnlyList<SemanticMatch>> SearchByModeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, SemanticQuery query, CancellationToken cancellationToken)
    {
        if (query.Mode == SearchMode.Vector || string.IsNullOrWhiteSpace(query.Text))
        {
            return await SearchInTransactionAsync(connection, transaction, tenantId, query with { Mode = SearchMode.Vector }, cancellationToken);
        }

        if (query.Mode == SearchMode.Keyword)
        {
            return (await SearchInTransactionAsync(connection, transaction, tenantId, query, query.TopK, cancellationToken)).Keyword;
        }

        // Each ranking contributes a deeper list than top_k, so a memory ranked well by one and fairly by the other can win.
        var depth = Math.Min(Math.Max(3 * query.TopK, 30), 300);
        // The threshold bounds every result's similarity, as in vector mode: hybrid is the default, and a client's threshold keeps its meaning.
        var (vector, keyword) = await SearchInTransactionAsync(connection, transaction, tenantId, query with { TopK = depth }, depth, cancellationToken);
        return Fuse(vector, [.. keyword.Where(match => match.Similarity >= query.Threshold)], query.TopK);
    }

    /// <summary>Reciprocal rank fusion: a memory scores the sum of 1 / (60 + rank) over the rankings it appears in.</summary>
    public static IReadOnlyList<SemanticMatch> Fuse(IReadOnlyList<SemanticMatch> vector, IReadOnlyList<SemanticMatch> keyword, int topK)
    {
        var fused = new Dictionary<Guid, SemanticMatch>();
        for (var i = 0; i < vector.Count; i++)
        {
            fused[vector[i].Memory.Id] = vector[i] with { Score = 1.0 / (FusionRankOffset + i + 1), KeywordMatch = false };
        }

        for (var i = 0; i < keyword.Count; i++)
        {
            var rank = 1.0 / (FusionRankOffset + i + 1);
            fused[keyword[i].Memory.Id] = fused.TryGetValue(keyword[i].Memory.Id, out var seen)
                ? seen with { Score = seen.Score + rank, KeywordMatch = true }
                : keyword[i] with { Score = rank, KeywordMatch = true };
        }

        return [.. fused.Values.OrderByDescending(m => m.Score).ThenByDescending(m => m.Similarity).ThenBy(m => m.Memory.Id).Take(topK)];
    }

    /// <summary>
    /// The words of a query as a web-search "or" query, so that a memory holding any of them is a candidate; quotes and
    /// a leading minus are dropped (they would make a phrase or a negation), and so is the word "or" itself.
    /// </summary>
    public static string AnyWordQuery(string text) =>
        string.Join(" or ", text
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(word => word.Replace("\"", string.Empty, StringComparison.Ordinal).TrimStart('-'))
            .Where(word => word.Length > 0 && !word.Equals("or", StringComparison.OrdinalIgnoreCase))
            .Take(MaxKeywordWords));

    /// <summary>
    /// The keyword query that hybrid search fuses with the vector ranking: any of the query's identifier-like words
    /// (holding a digit, in capitals, or capitalised after the first word: ids, codes, names), or, in a query without
    /// one, all of its words. Words that merely occur in many memories ("week", "customer") would otherwise lift
    /// memories that share one of them above the vector ranking's best answer to a paraphrase.
    /// </summary>
    public static string HybridKeywordQuery(string text)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var identifiers = words.Select(word => word.Trim(s_punctuation)).Where(IsIdentifierLike).ToList();
        return identifiers.Count > 0 ? AnyWordQuery(string.Join(' ', identifiers)) : text;
    }

    private static readonly char[] s_punctuation = ['"', '\'', '?', '!', ',', '.', ';', ':', '(', ')', '[', ']'];

    private static bool IsIdentifierLike(string word, int position) =>
        word.Length >= 2 && (word.Any(char.IsDigit) || word.All(c => !char.IsLetter(c) || char.IsUpper(c)) || (position > 0 && char.IsUpper(word[0])));

    /// <summary>
    /// Live memories holding any of the query's words (in hybrid mode, <see cref="HybridKeywordQuery"/>), ranked first by holding all of them (web-search syntax: quotes
    /// make a phrase, a minus excludes) and then by cover density, normalised to [0, 1); the rank is the score.
    /// </summary>
    private static NpgsqlBatchCommand KeywordCommand(string tenantId, SemanticQuery query, int limit)
    {
        var command = new NpgsqlBatchCommand(
            $"""
            SELECT {Columns}, m.embedding <=> @embedding AS distance,
                   (ts_rank_cd(m.content_tsv, any_words.q, 32) + CASE WHEN m.content_tsv @@ all_words.q THEN 1 ELSE 0 END)::float8 AS rank
            FROM semantic_memory m,
                 websearch_to_tsquery('english', @any_words) AS any_words(q),
                 websearch_to_tsquery('english', @all_words) AS all_words(q)
            WHERE {Filters("m.", query)} AND m.content_tsv @@ any_words.q
            ORDER BY rank DESC, distance, m.id
            LIMIT @keyword_limit
            """);
        AddFilterParameters(command.Parameters, tenantId, query);
        command.Parameters.AddWithValue("embedding", new Vector(query.Embedding));
        command.Parameters.AddWithValue("any_words", query.Mode == SearchMode.Hybrid ? HybridKeywordQuery(query.Text ?? string.Empty) : AnyWordQuery(query.Text ?? string.Empty));
        command.Parameters.AddWithValue("all_words", query.Text ?? string.Empty);
        command.Parameters.AddWithValue("keyword_limit", limit);
        return command;
    }

    private static async Task<IReadOnlyList<SemanticMatch>> ReadKeywordMatchesAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var matches = new List<SemanticMatch>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var similarity = Math.Clamp(1 - reader.GetDouble(ColumnCount), 0, 1);
            matches.Add(new SemanticMatch(ReadRecord(reader), similarity, reader.GetDouble(ColumnCount + 1), KeywordMatch: true));
        }

        return matches;
    }
}
