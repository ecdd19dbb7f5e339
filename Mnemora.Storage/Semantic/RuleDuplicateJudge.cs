namespace Mnemora.Storage.Semantic;

/// <summary>
/// The offline judge: a rule over the tokens that differ between two texts that read alike (the embedding
/// similarity chose them as candidates; the tokens decide). Pure and deterministic: no store, no network.
/// The reasoning, and how the examples fall, is in docs/deduplication.md.
/// </summary>
public sealed class RuleDuplicateJudge : IDuplicateJudge
{
    /// <summary>More changed words than this on either side is a different text, not a changed value.</summary>
    public const int MaxChangedTokens = 4;

    /// <summary>The longest wording added before a fact that still reads as the same fact ("Note:", "Just so you know,").</summary>
    public const int MaxPreambleTokens = 5;

    /// <summary>Words that say the new text replaces the old ("moved to", "now", "instead").</summary>
    private static readonly HashSet<string> s_changeCues =
        ["now", "moved", "move", "changed", "change", "switched", "rescheduled", "postponed", "updated", "instead", "anymore", "actually", "currently"];

    /// <summary>Words of a single choice, where another object replaces the first (a preference, a favourite).</summary>
    private static readonly HashSet<string> s_choiceCues =
        ["prefer", "prefers", "preferred", "preference", "favourite", "favorite", "want", "wants", "default", "usual", "main", "primary", "choose", "chose", "chosen"];

    public static RuleDuplicateJudge Instance { get; } = new();

    public ValueTask<DuplicateJudgement> JudgeAsync(string newText, string storedText, double similarity, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Judge(newText, storedText));

    /// <summary>What <paramref name="newText"/> is to <paramref name="storedText"/>.</summary>
    public static DuplicateJudgement Judge(string newText, string storedText)
    {
        var stored = FactText.Parse(storedText);
        var fresh = FactText.Parse(newText);
        var storedContent = Content(stored);
        var freshContent = Content(fresh);

        if (storedContent.Select(i => stored.Tokens[i].Text).SequenceEqual(freshContent.Select(i => fresh.Tokens[i].Text)))
        {
            return Same("the same words once normalised");
        }

        if (stored.Negations != fresh.Negations)
        {
            return Distinct("a negation differs");
        }

        var storedOnly = Unmatched(stored, storedContent, fresh, freshContent);
        var freshOnly = Unmatched(fresh, freshContent, stored, storedContent);
        var changed = storedOnly.Select(i => stored.Tokens[i]).Concat(freshOnly.Select(i => fresh.Tokens[i])).ToList();

        if (changed.Any(t => t.Kind == FactTokenKind.Identifier))
        {
            return Distinct("another id or code");
        }

        if (changed.Any(t => t.Kind == FactTokenKind.Name))
        {
            return Distinct("another name");
        }

        if (storedOnly.Any(i => stored.Tokens[i].Kind == FactTokenKind.Direction) && freshOnly.Any(i => fresh.Tokens[i].Kind == FactTokenKind.Direction))
        {
            return Distinct("another direction (from/to, before/after)");
        }

        if (storedOnly.Count == 0 && freshOnly.Count == 0)
        {
            // The same words in another order: the same fact, unless who does what to whom changed.
            return RolesSwapped(stored, storedContent, fresh, freshContent)
                ? Distinct("the names swapped places")
                : Same("the same words in another order");
        }

        if (freshOnly.Count == 0)
        {
            return Same("the stored memory already says all of it");
        }

        if (storedOnly.Count == 0 && IsPreamble(fresh, freshContent, freshOnly))
        {
            return Same("the same fact after a preamble");
        }

        if (storedOnly.Count > MaxChangedTokens || freshOnly.Count > MaxChangedTokens)
        {
            return Distinct("too much differs for one changed value");
        }

        if (storedOnly.Any(i => InSubject(stored, i)) || freshOnly.Any(i => InSubject(fresh, i)))
        {
            return Distinct("another subject");
        }

        var cued = fresh.Tokens.Any(t => s_changeCues.Contains(t.Raw));
        if (storedOnly.Count == 0)
        {
            return Update("more said about the same subject");
        }

        if (!cued && (stored.TellsOfThePast || fresh.TellsOfThePast))
        {
            return Distinct("another occurrence of an event");
        }

        if (storedOnly.Any(i => stored.Tokens[i].IsValue))
        {
            return Update("a changed value of the same subject");
        }

        // Another word in the predicate: an update only when it replaces a single value (a state after "is",
        // a preference, a stated change); otherwise both can hold ("allergic to peanuts" and to walnuts).
        var choice = stored.Tokens.Concat(fresh.Tokens).Any(t => s_choiceCues.Contains(t.Raw));
        var complement = fresh.HasCopula && freshOnly.Contains(NextContent(fresh, freshContent, fresh.VerbIndex));
        return cued || choice || complement
            ? Update("another value of the same subject")
            : Distinct("another object");
    }

    /// <summary>
    /// Whether a changed token names what the fact is about: it comes before the main verb (or no verb was found),
    /// and is neither an adverb ("now", "usually") nor a measure ("a rent of 1200 EUR", a value of the subject).
    /// </summary>
    private static bool InSubject(FactText text, int index)
    {
        if (text.VerbIndex >= 0 && index > text.VerbIndex)
        {
            return false;
        }

        var token = text.Tokens[index];
        if (s_changeCues.Contains(token.Raw) || (token.Kind == FactTokenKind.Word && token.Raw.EndsWith("ly", StringComparison.Ordinal)))
        {
            return false;
        }

        var before = index - 1;
        while (before >= 0 && token.Kind == FactTokenKind.Number && text.Tokens[before].Kind == FactTokenKind.Word && text.Tokens[before].Raw is "$" or "€" or "£")
        {
            before--;
        }

        return !(token.Kind == FactTokenKind.Number && before >= 0 && text.Tokens[before].Text == "of");
    }

    private static List<int> Content(FactText text) =>
        [.. Enumerable.Range(0, text.Tokens.Count).Where(i => text.Tokens[i].IsContent)];

    /// <summary>Indexes of <paramref name="text"/>'s content tokens that the other text lacks (as multisets, left to right).</summary>
    private static List<int> Unmatched(FactText text, List<int> content, FactText other, List<int> otherContent)
    {
        var available = otherContent.GroupBy(i => other.Tokens[i].Text).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var unmatched = new List<int>();
        foreach (var i in content)
        {
            if (available.TryGetValue(text.Tokens[i].Text, out var left) && left > 0)
            {
                available[text.Tokens[i].Text] = left - 1;
            }
            else
            {
                unmatched.Add(i);
            }
        }

        return unmatched;
    }

    /// <summary>Words added only in front of the whole stored fact, none of them a value.</summary>
    private static bool IsPreamble(FactText fresh, List<int> freshContent, List<int> freshOnly) =>
        freshOnly.Count <= MaxPreambleTokens
        && freshOnly.SequenceEqual(freshContent.Take(freshOnly.Count))
        && freshOnly.All(i => fresh.Tokens[i].Kind == FactTokenKind.Word);

    private static bool RolesSwapped(FactText stored, List<int> storedContent, FactText fresh, List<int> freshContent)
    {
        static List<string> Roles(FactText text, List<int> content) =>
            [.. content.Select(i => text.Tokens[i]).Where(t => t.Kind is FactTokenKind.Name or FactTokenKind.Identifier || (t.Capitalised && t.Kind == FactTokenKind.Word)).Select(t => t.Text)];

        var before = Roles(stored, storedContent);
        var after = Roles(fresh, freshContent);
        return before.Count >= 2 && before.Count == after.Count && !before.SequenceEqual(after) && before.Order(StringComparer.Ordinal).SequenceEqual(after.Order(StringComparer.Ordinal));
    }

    private static int NextContent(FactText text, List<int> content, int after) =>
        content.FirstOrDefault(i => i > after, -1);

    private static DuplicateJudgement Same(string reason) => new(DuplicateVerdict.Same, reason);

    private static DuplicateJudgement Update(string reason) => new(DuplicateVerdict.Update, reason);

    private static DuplicateJudgement Distinct(string reason) => new(DuplicateVerdict.Distinct, reason);
}
