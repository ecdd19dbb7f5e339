using System.ComponentModel.DataAnnotations;
using Mnemora.Storage.Semantic;

namespace Mnemora.Api.Embeddings;

/// <summary>Which model turns text into vectors; bound from <c>Mnemora:Embeddings</c>.</summary>
public sealed class EmbeddingOptions : IValidatableObject
{
    public const string SectionName = "Mnemora:Embeddings";

    /// <summary><c>local</c> (all-MiniLM-L6-v2, in process, no network) or <c>openai</c> (any OpenAI-compatible endpoint).</summary>
    public EmbeddingProvider Provider { get; set; } = EmbeddingProvider.Local;

    /// <summary>The OpenAI-compatible endpoint (e.g. <c>http://127.0.0.1:11434/v1</c>); the OpenAI service when unset.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The provider's model name, e.g. <c>text-embedding-3-small</c>.</summary>
    public string? Model { get; set; }

    /// <summary>The provider's API key; keep it in user secrets or the environment, never in appsettings.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Vector size; must equal the <c>semantic_memory.embedding</c> column.</summary>
    [Range(1, 16_000)]
    public int Dimensions { get; set; } = SemanticSchema.Dimensions;

    /// <summary>
    /// How many embedding batches of any length run at once: CPU work for the local model, so a burst leaves cores for
    /// other requests. One more worker takes only texts of at most <see cref="ShortTextCharacters"/>.
    /// </summary>
    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>
    /// The longest text (and batch, in padded input) the short-text worker takes: a search waits on a few short texts
    /// at most (on 2 cores 512 characters take the local model about 20 ms; a text of 2,000 or more, 85 ms), never on
    /// another tenant's long one. 0 runs no short-text worker.
    /// </summary>
    [Range(0, 1_000_000)]
    public int ShortTextCharacters { get; set; } = 512;

    /// <summary>Texts waiting at the same moment are embedded together, up to this many per call.</summary>
    [Range(1, 512)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// A batch holds at most this much padded input: its number of texts times its longest text (cut to
    /// <see cref="MaxInputCharacters"/>). 8 texts of 128 characters fit, or one long one, so what waits behind a batch
    /// waits little. Larger batches buy nothing on a CPU: 32 texts of 128 characters took 171 ms as one batch and
    /// 150 ms as eight batches of four (2 cores, one ONNX thread).
    /// </summary>
    [Range(64, 10_000_000)]
    public int MaxBatchCharacters { get; set; } = 1_024;

    /// <summary>
    /// Texts one tenant may have waiting to be embedded at once; more is a 429 at once. An import embeds 64 at a time, a unified search
    /// at most 50 episodes and a summary at most 256 sentences, so ordinary calls never meet it; a tenant's flood does.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxQueuedPerTenant { get; set; } = 512;

    /// <summary>Texts are cut to this many characters before embedding; the local model reads at most 256 tokens anyway.</summary>
    [Range(64, 1_000_000)]
    public int MaxInputCharacters { get; set; } = 4096;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Dimensions != SemanticSchema.Dimensions)
        {
            yield return new ValidationResult(
                $"{SectionName}:Dimensions is {Dimensions}, but semantic_memory.embedding holds {SemanticSchema.Dimensions} dimensions.",
                [nameof(Dimensions)]);
        }

        if (Provider == EmbeddingProvider.OpenAI && string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult($"{SectionName}:Model is required when {SectionName}:Provider is openai.", [nameof(Model)]);
        }

        if (Provider == EmbeddingProvider.OpenAI && Endpoint is null && string.IsNullOrWhiteSpace(ApiKey))
        {
            yield return new ValidationResult(
                $"{SectionName}:ApiKey is required when {SectionName}:Provider is openai and no {SectionName}:Endpoint is set.", [nameof(ApiKey)]);
        }
    }
}

public enum EmbeddingProvider
{
    Local,
    OpenAI,
}
