namespace Mnemora.Storage.Semantic;

/// <summary>What a near-duplicate is to the memory it reads like.</summary>
public enum DuplicateVerdict
{
    /// <summary>Another fact: stored as its own memory.</summary>
    Distinct,

    /// <summary>The same fact: nothing new is stored, the metadata is merged.</summary>
    Same,

    /// <summary>A newer value of the same fact: it replaces the older content, which stays in history.</summary>
    Update,
}

/// <summary>A verdict and, for logs and the benchmark, the one-line reason it was reached.</summary>
public sealed record DuplicateJudgement(DuplicateVerdict Verdict, string Reason);

/// <summary>
/// Decides what a new memory is to a stored one that reads alike (cosine similarity at or above the
/// candidate threshold). The offline <see cref="RuleDuplicateJudge"/> is the default; a chat model may
/// stand in when one is configured, and must fall back to the rule when it fails.
/// </summary>
public interface IDuplicateJudge
{
    ValueTask<DuplicateJudgement> JudgeAsync(string newText, string storedText, double similarity, CancellationToken cancellationToken);
}

/// <summary>Where deduplication looks for near-duplicates (one place for the API, the benchmark and the docs).</summary>
public static class Deduplication
{
    /// <summary>Cosine similarity at or above which a live memory of the same agent and namespace is a candidate.</summary>
    public const double CandidateSimilarity = 0.95;

    /// <summary>Candidates judged per write, nearest first.</summary>
    public const int MaxCandidates = 5;
}
