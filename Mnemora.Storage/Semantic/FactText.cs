using System.Text.RegularExpressions;

namespace Mnemora.Storage.Semantic;

/// <summary>What a token of a fact is to deduplication: which differences change the fact, and how.</summary>
internal enum FactTokenKind
{
    /// <summary>An ordinary word.</summary>
    Word,

    /// <summary>Articles and fillers: never change the fact.</summary>
    Filler,

    /// <summary>Auxiliaries and copulas: mark the verb and the tense, never compared.</summary>
    Auxiliary,

    /// <summary>not, no, never, … (contractions expanded).</summary>
    Negation,

    /// <summary>from / to, before / after, above / below: one swapped for another reverses the fact.</summary>
    Direction,

    /// <summary>A count, quantity, amount or percentage.</summary>
    Number,

    /// <summary>A weekday, month, year, quarter, date or time of day.</summary>
    Date,

    /// <summary>Anything with digits that is not a plain number or date (INV-2024-7781-B, web-03, 10.0.0.12), an email or a URL.</summary>
    Identifier,

    /// <summary>A capitalised word inside a sentence, or an acronym: a person, place, product or plan.</summary>
    Name,
}

internal readonly record struct FactToken(string Text, FactTokenKind Kind, bool Capitalised, string Raw)
{
    /// <summary>The token opens a new clause (it follows a comma or a semicolon).</summary>
    public bool OpensClause { get; init; }

    /// <summary>Kinds whose change replaces a value of the same fact.</summary>
    public bool IsValue => Kind is FactTokenKind.Number or FactTokenKind.Date;

    /// <summary>Compared between the two texts (auxiliaries and fillers are not).</summary>
    public bool IsContent => Kind is not (FactTokenKind.Filler or FactTokenKind.Auxiliary);
}

/// <summary>
/// A short text as deduplication reads it: normalised tokens (case, punctuation, contractions, number words,
/// time and unit spellings), each with its kind, the position of the main verb (what comes before it is the
/// subject), and whether it tells of a past event.
/// </summary>
internal sealed partial class FactText
{
    private static readonly FrozenWords s_fillers = new("a an the please really very just actually also indeed basically definitely certainly currently");
    private static readonly FrozenWords s_auxiliaries = new("am is are was were be been being will would shall should can could might must has have had do does did");
    private static readonly FrozenWords s_copulas = new("am is are was were be been being");
    private static readonly FrozenWords s_pastAuxiliaries = new("was were had did");
    private static readonly FrozenWords s_pastMarkers = new("yesterday ago");
    private static readonly FrozenWords s_negations = new("not no never none nobody nothing neither nor without nowhere");
    private static readonly FrozenWords s_directions = new("from to for into toward towards before after above below over under");
    private static readonly FrozenWords s_pronouns = new("i we you he she they it");
    private static readonly FrozenWords s_clauseWords = new("so because when while if which who whose where although though but and or that");
    private static readonly FrozenWords s_determiners = new("the a an my our your their his her its this that these those every each some any all no");
    private static readonly FrozenWords s_weekdays = new("monday tuesday wednesday thursday friday saturday sunday weekend weekday today tomorrow yesterday tonight morning afternoon evening noon midnight");
    private static readonly FrozenWords s_weekdayAbbreviations = new("mon tue tues wed thu thur thurs fri sat sun");
    private static readonly FrozenWords s_months = new("january february march april may june july august september october november december");
    private static readonly FrozenWords s_monthAbbreviations = new("jan feb mar apr jun jul aug sep sept oct nov dec");
    private static readonly FrozenWords s_units = new("kg g mg km m cm mm gb mb tb kb ms s h hr hrs min mins l ml k");
    private static readonly FrozenWords s_irregularPast = new(
        "paid bought sent met spent took gave made went came sold left got told said found wrote ran saw brought kept lost won held flew ate drank began broke chose drove fell felt forgot grew heard knew led rode rang rose sang sat slept spoke stood stole swam taught thought threw understood woke wore");

    private static readonly Dictionary<string, string> s_numberWords = new(StringComparer.Ordinal)
    {
        ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5", ["six"] = "6",
        ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10", ["eleven"] = "11", ["twelve"] = "12",
        ["thirteen"] = "13", ["fourteen"] = "14", ["fifteen"] = "15", ["sixteen"] = "16", ["seventeen"] = "17", ["eighteen"] = "18",
        ["nineteen"] = "19", ["twenty"] = "20", ["thirty"] = "30", ["forty"] = "40", ["fifty"] = "50", ["sixty"] = "60",
        ["seventy"] = "70", ["eighty"] = "80", ["ninety"] = "90", ["hundred"] = "100",
    };

    private static readonly Dictionary<string, string> s_currencies = new(StringComparer.Ordinal)
    {
        ["$"] = "usd", ["€"] = "eur", ["£"] = "gbp", ["dollar"] = "usd", ["dollars"] = "usd", ["euro"] = "eur", ["euros"] = "eur",
    };

    private FactText(List<FactToken> tokens)
    {
        Tokens = tokens;
        VerbIndex = FindVerb(tokens);
        TellsOfThePast = tokens.Any(t => s_pastMarkers.Contains(t.Text))
            || (VerbIndex >= 0 && (s_pastAuxiliaries.Contains(tokens[VerbIndex].Text)
                || (tokens[VerbIndex].Kind == FactTokenKind.Word && (tokens[VerbIndex].Raw.EndsWith("ed", StringComparison.Ordinal) || s_irregularPast.Contains(tokens[VerbIndex].Raw)))));
    }

    public IReadOnlyList<FactToken> Tokens { get; }

    /// <summary>The main verb's index in <see cref="Tokens"/>, or -1 when none was found (the whole text is then treated as its subject).</summary>
    public int VerbIndex { get; }

    /// <summary>Whether the text tells of something that happened (another value means another occurrence), rather than a state or a plan.</summary>
    public bool TellsOfThePast { get; }

    /// <summary>The verb is a copula (is, are, was …): what follows it states the subject's value.</summary>
    public bool HasCopula => VerbIndex >= 0 && s_copulas.Contains(Tokens[VerbIndex].Text);

    public int Negations => Tokens.Count(t => t.Kind == FactTokenKind.Negation);

    public static FactText Parse(string text)
    {
        var tokens = new List<FactToken>();
        var sentenceStart = true;
        var clauseStart = false;
        foreach (var piece in text.Replace('’', '\'').Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var endsSentence = piece.TrimEnd('"', '\'', ')', ']').EndsWith('.') || piece.EndsWith(':') || piece.EndsWith('!') || piece.EndsWith('?');
            var word = piece.Trim('.', ',', ';', ':', '!', '?', '"', '\'', '(', ')', '[', ']', '*', '…');
            if (word.Length > 0)
            {
                var first = tokens.Count;
                AddWord(tokens, word, sentenceStart);
                if ((clauseStart || sentenceStart) && first < tokens.Count)
                {
                    tokens[first] = tokens[first] with { OpensClause = true };
                }

                clauseStart = piece.EndsWith(',') || piece.EndsWith(';');
            }

            sentenceStart = endsSentence || (word.Length == 0 && sentenceStart);
        }

        return new FactText(tokens);
    }

    private static void AddWord(List<FactToken> tokens, string original, bool sentenceStart)
    {
        var capitalised = char.IsUpper(original[0]) && original != "I";
        var allCaps = original.Length >= 2 && original.All(char.IsUpper);
        var lower = original.ToLowerInvariant();

        foreach (var symbol in (ReadOnlySpan<char>)['$', '€', '£'])
        {
            if (lower.Length > 1 && lower[0] == symbol)
            {
                tokens.Add(new FactToken(s_currencies[symbol.ToString()], FactTokenKind.Word, false, symbol.ToString()));
                lower = lower[1..];
                original = original[1..];
            }
        }

        // Contractions: negations become "not" (so "isn't" and "is not" read alike), the rest their full words.
        if (lower is "can't" or "cannot")
        {
            Add(tokens, "can", sentenceStart, capitalised, allCaps, original);
            Add(tokens, "not", false, false, false, "not");
            return;
        }

        if (lower == "won't")
        {
            Add(tokens, "will", sentenceStart, capitalised, allCaps, original);
            Add(tokens, "not", false, false, false, "not");
            return;
        }

        if (lower.EndsWith("n't", StringComparison.Ordinal))
        {
            Add(tokens, lower[..^3], sentenceStart, capitalised, allCaps, original);
            Add(tokens, "not", false, false, false, "not");
            return;
        }

        foreach (var (suffix, full) in (ReadOnlySpan<(string, string)>)[("'re", "are"), ("'ll", "will"), ("'ve", "have"), ("'m", "am"), ("'d", "would")])
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal))
            {
                Add(tokens, lower[..^suffix.Length], sentenceStart, capitalised, allCaps, original);
                Add(tokens, full, false, false, false, full);
                return;
            }
        }

        if (lower.EndsWith("'s", StringComparison.Ordinal))
        {
            var owner = lower[..^2];
            Add(tokens, owner, sentenceStart, capitalised, allCaps, original[..^2]);
            if (owner is "it" or "that" or "he" or "she" or "there" or "what" or "who")
            {
                Add(tokens, "is", false, false, false, "is");
            }

            return;
        }

        // Words joined by hyphens are their words ("two-factor" = "two factor"); with digits the whole is one code.
        if (lower.Contains('-') && !lower.Any(char.IsAsciiDigit) && !lower.Contains('@'))
        {
            var first = true;
            foreach (var part in original.Split('-', StringSplitOptions.RemoveEmptyEntries))
            {
                Add(tokens, part.ToLowerInvariant(), sentenceStart && first, char.IsUpper(part[0]), part.Length >= 2 && part.All(char.IsUpper), part);
                first = false;
            }

            return;
        }

        Add(tokens, lower, sentenceStart, capitalised, allCaps, original);
    }

    private static void Add(List<FactToken> tokens, string lower, bool sentenceStart, bool capitalised, bool allCaps, string original)
    {
        if (lower.Length == 0)
        {
            return;
        }

        // "9 am" is "9am"; "5 kg" stays two tokens, and "5kg" becomes them.
        if (lower is "am" or "pm" && tokens.Count > 0 && tokens[^1].Kind == FactTokenKind.Number && HourPattern().IsMatch(tokens[^1].Text))
        {
            var hour = tokens[^1];
            tokens[^1] = new FactToken(hour.Text + lower, FactTokenKind.Date, false, hour.Raw + original);
            return;
        }

        if (TimePattern().IsMatch(lower))
        {
            tokens.Add(new FactToken(lower, FactTokenKind.Date, false, original));
            return;
        }

        if (QuantityPattern().Match(lower) is { Success: true } quantity && s_units.Contains(quantity.Groups[2].Value))
        {
            tokens.Add(new FactToken(quantity.Groups[1].Value, FactTokenKind.Number, false, original));
            tokens.Add(new FactToken(quantity.Groups[2].Value, FactTokenKind.Word, false, original));
            return;
        }

        if (OrdinalPattern().Match(lower) is { Success: true } ordinal)
        {
            tokens.Add(new FactToken(ordinal.Groups[1].Value, FactTokenKind.Number, false, original));
            return;
        }

        if (s_numberWords.TryGetValue(lower, out var digits))
        {
            tokens.Add(new FactToken(digits, FactTokenKind.Number, false, original));
            return;
        }

        if (lower is "twice" or "thrice")
        {
            tokens.Add(new FactToken(lower == "twice" ? "2" : "3", FactTokenKind.Number, false, original));
            tokens.Add(new FactToken("time", FactTokenKind.Word, false, original));
            return;
        }

        if (s_currencies.TryGetValue(lower, out var currency))
        {
            tokens.Add(new FactToken(currency, FactTokenKind.Word, false, original));
            return;
        }

        tokens.Add(new FactToken(Stem(lower), Classify(lower, capitalised, allCaps, sentenceStart), capitalised, lower));
    }

    private static FactTokenKind Classify(string lower, bool capitalised, bool allCaps, bool sentenceStart)
    {
        if (s_negations.Contains(lower))
        {
            return FactTokenKind.Negation;
        }

        // "may" is a month only when written as one.
        if (lower == "may" && !capitalised)
        {
            return FactTokenKind.Auxiliary;
        }

        if (s_auxiliaries.Contains(lower))
        {
            return FactTokenKind.Auxiliary;
        }

        if (s_fillers.Contains(lower))
        {
            return FactTokenKind.Filler;
        }

        if (s_directions.Contains(lower))
        {
            return FactTokenKind.Direction;
        }

        var stem = Stem(lower);
        if (s_weekdays.Contains(stem) || s_months.Contains(lower)
            || (capitalised && (s_weekdayAbbreviations.Contains(lower) || s_monthAbbreviations.Contains(lower)))
            || QuarterPattern().IsMatch(lower) || DatePattern().IsMatch(lower) || YearPattern().IsMatch(lower))
        {
            return FactTokenKind.Date;
        }

        if (NumberPattern().IsMatch(lower))
        {
            // Long digit runs and leading zeros are codes (an account, a tracking number), not quantities.
            var digitCount = lower.Count(char.IsAsciiDigit);
            return digitCount >= 6 && !lower.Contains(',') && !lower.Contains('.') || lower.Length > 1 && lower[0] == '0' && lower[1] != '.'
                ? FactTokenKind.Identifier
                : FactTokenKind.Number;
        }

        if (lower.Any(char.IsAsciiDigit) || lower.Contains('@') || lower.Contains("://", StringComparison.Ordinal))
        {
            return FactTokenKind.Identifier;
        }

        return !sentenceStart && (capitalised || allCaps) ? FactTokenKind.Name : FactTokenKind.Word;
    }

    /// <summary>Plurals and third persons compare as their stem ("likes" = "like", "Fridays" = "friday").</summary>
    private static string Stem(string lower)
    {
        if (lower.Length > 4 && lower.EndsWith("ies", StringComparison.Ordinal))
        {
            return lower[..^3] + "y";
        }

        return lower.Length > 3 && lower[^1] == 's' && !lower.EndsWith("ss", StringComparison.Ordinal) && !lower.EndsWith("us", StringComparison.Ordinal)
            && !lower.EndsWith("is", StringComparison.Ordinal) && char.IsAsciiLetter(lower[^2])
            ? lower[..^1]
            : lower;
    }

    /// <summary>
    /// The main verb, looked for in the first clause (a subordinate clause's verb is not the fact's): the first
    /// auxiliary or copula; else the word after a pronoun subject; else the first word that reads as a verb (-s,
    /// -ed, or a common irregular past) and does not follow a determiner or a number. Failing those, the first
    /// auxiliary anywhere.
    /// </summary>
    private static int FindVerb(List<FactToken> tokens)
    {
        var clauseEnd = 1;
        while (clauseEnd < tokens.Count && !tokens[clauseEnd].OpensClause && !s_clauseWords.Contains(tokens[clauseEnd].Text))
        {
            clauseEnd++;
        }

        for (var i = 1; i < clauseEnd; i++)
        {
            if (tokens[i].Kind == FactTokenKind.Auxiliary)
            {
                return i;
            }
        }

        if (tokens.Count > 1 && s_pronouns.Contains(tokens[0].Text))
        {
            return 1;
        }

        for (var i = 1; i < clauseEnd; i++)
        {
            var token = tokens[i];
            var previous = tokens[i - 1];
            if (token.Kind == FactTokenKind.Word && !token.Capitalised
                && !s_determiners.Contains(previous.Text) && previous.Kind != FactTokenKind.Number
                && ((token.Raw.EndsWith('s') && !token.Raw.EndsWith("ss", StringComparison.Ordinal)) || token.Raw.EndsWith("ed", StringComparison.Ordinal) || s_irregularPast.Contains(token.Raw)))
            {
                return i;
            }
        }

        return tokens.Count > 1 ? tokens.FindIndex(1, t => t.Kind == FactTokenKind.Auxiliary) : -1;
    }

    [GeneratedRegex(@"^\d{1,2}$")]
    private static partial Regex HourPattern();

    [GeneratedRegex(@"^(\d{1,2}(:\d{2})?(am|pm)|\d{1,2}:\d{2})$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^(\d+(?:[.,]\d+)?)([a-z]{1,4})$")]
    private static partial Regex QuantityPattern();

    [GeneratedRegex(@"^(\d+)(st|nd|rd|th)$")]
    private static partial Regex OrdinalPattern();

    [GeneratedRegex(@"^q[1-4]$")]
    private static partial Regex QuarterPattern();

    [GeneratedRegex(@"^(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(/\d{2,4})?)$")]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^(19|20)\d{2}$")]
    private static partial Regex YearPattern();

    [GeneratedRegex(@"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$")]
    private static partial Regex NumberPattern();

    /// <summary>A small fixed set of lower-case words.</summary>
    private sealed class FrozenWords(string words)
    {
        private readonly HashSet<string> _words = [.. words.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        public bool Contains(string word) => _words.Contains(word);
    }
}
