namespace Mnemora.Api.Agents;

/// <summary>
/// The words of a search query, for matching a memory's text: lower-cased, common words dropped, and identifier-like
/// terms (with a digit, a <c>- _ @ . /</c> inside, or in capitals: <c>INV-2024-7781-B</c>, <c>E1234</c>, <c>ECONNRESET</c>)
/// marked, since holding one of those says more than any number of ordinary words.
/// </summary>
public sealed class QueryTerms
{
    private static readonly HashSet<string> s_common = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "does", "for", "from", "had", "has", "have", "how", "i",
        "in", "is", "it", "its", "me", "my", "of", "on", "or", "our", "the", "that", "this", "to", "was", "we", "were", "what",
        "when", "where", "which", "who", "why", "with", "you", "your", "about", "any", "there", "their", "they", "tell",
    };

    private readonly List<(string Term, bool Identifier)> _terms;

    private QueryTerms(List<(string Term, bool Identifier)> terms) => _terms = terms;

    public static QueryTerms Parse(string query)
    {
        var terms = new List<(string, bool)>();
        foreach (var raw in Words(query))
        {
            var word = raw.Trim('.', '-', '_', '@', '/');
            var lower = word.ToLowerInvariant();
            if (lower.Length < 2 || s_common.Contains(lower) || terms.Exists(t => t.Item1 == lower))
            {
                continue;
            }

            var identifier = word.Any(char.IsDigit)
                || word.AsSpan(1, word.Length - 2).IndexOfAny("-_@./") >= 0
                || (word.Length >= 3 && word.All(c => char.IsUpper(c) || char.IsDigit(c)));
            terms.Add((lower, identifier));
        }

        return new QueryTerms(terms);
    }

    /// <summary>
    /// Whether <paramref name="text"/> is a text match (it holds an identifier of the query, or every term of it) and the
    /// share of the terms it holds, identifiers weighing twice.
    /// </summary>
    public (bool IsTextMatch, double Share) Match(string text)
    {
        if (_terms.Count == 0)
        {
            return (false, 0);
        }

        var lower = text.ToLowerInvariant();
        double held = 0, total = 0;
        var identifier = false;
        var all = true;
        foreach (var (term, isIdentifier) in _terms)
        {
            var weight = isIdentifier ? 2 : 1;
            total += weight;
            if (Holds(lower, term))
            {
                held += weight;
                identifier |= isIdentifier;
            }
            else
            {
                all = false;
            }
        }

        return (identifier || all, held / total);
    }

    /// <summary>True when <paramref name="term"/> occurs in <paramref name="text"/> as a whole word (not inside a longer one).</summary>
    private static bool Holds(string text, string term)
    {
        for (var at = text.IndexOf(term, StringComparison.Ordinal); at >= 0; at = text.IndexOf(term, at + 1, StringComparison.Ordinal))
        {
            if (!Continues(text, at - 1, -1) && !Continues(text, at + term.Length, +1))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the word goes on at <paramref name="at"/> (towards <paramref name="step"/>): a letter or digit, or a joiner
    /// followed by one, so INV-2024-7781-B is not found inside INV-2024-7781-BX or INV-2024-7781-B-2.
    /// </summary>
    private static bool Continues(string text, int at, int step)
    {
        if (at < 0 || at >= text.Length)
        {
            return false;
        }

        if (char.IsLetterOrDigit(text[at]))
        {
            return true;
        }

        var next = at + step;
        return text[at] is '-' or '_' && next >= 0 && next < text.Length && char.IsLetterOrDigit(text[next]);
    }

    private static IEnumerable<string> Words(string query) =>
        query.Split(
            [' ', '\t', '\r', '\n', ',', ';', '!', '?', '"', '\'', '(', ')', '[', ']', '{', '}', ':', '#'],
            StringSplitOptions.RemoveEmptyEntries);
}
