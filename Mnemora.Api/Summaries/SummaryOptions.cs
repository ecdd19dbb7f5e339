using System.ComponentModel.DataAnnotations;

namespace Mnemora.Api.Summaries;

/// <summary>
/// How episodes are summarised; bound from <c>Mnemora:Summaries</c>. With <see cref="Model"/> set,
/// an OpenAI-compatible chat model writes the summary; without it the summary is extractive and
/// offline (no network call is ever made).
/// </summary>
public sealed class SummaryOptions : IValidatableObject
{
    public const string SectionName = "Mnemora:Summaries";

    /// <summary>An OpenAI-compatible endpoint (e.g. <c>http://127.0.0.1:11434/v1</c>); the OpenAI service when unset.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The chat model; leave unset for offline extractive summaries.</summary>
    public string? Model { get; set; }

    /// <summary>The provider's API key; keep it in user secrets or the environment, never in appsettings.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one chat call may take before the extractive summary is used instead.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ChatTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest summary stored.</summary>
    [Range(200, 20_000)]
    public int MaxSummaryCharacters { get; set; } = 2_000;

    /// <summary>Sentences an extractive summary keeps at most.</summary>
    [Range(1, 50)]
    public int MaxSentences { get; set; } = 8;

    /// <summary>Sentences an extractive summary weighs at most (each is embedded), sampled evenly over the episodes.</summary>
    [Range(8, 5_000)]
    public int MaxCandidateSentences { get; set; } = 256;

    /// <summary>Episode text sent to a chat model at most (the newest episodes are kept).</summary>
    [Range(1_000, 1_000_000)]
    public int MaxPromptCharacters { get; set; } = 24_000;

    /// <summary>Episode JSON a summary reads at most (its newest episodes within the filters); older ones are left out.</summary>
    [Range(typeof(long), "65536", "67108864")]
    public long MaxWindowBytes { get; set; } = 4L * 1024 * 1024;

    public bool UsesChatModel => !string.IsNullOrWhiteSpace(Model);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UsesChatModel && Endpoint is null && string.IsNullOrWhiteSpace(ApiKey))
        {
            yield return new ValidationResult(
                $"{SectionName}:ApiKey is required when {SectionName}:Model is set and no {SectionName}:Endpoint is.", [nameof(ApiKey)]);
        }
    }
}
