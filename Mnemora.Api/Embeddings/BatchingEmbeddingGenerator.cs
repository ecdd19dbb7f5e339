using System.Threading.Channels;
using Microsoft.Extensions.AI;

namespace Mnemora.Api.Embeddings;

/// <summary>
/// Bounds embedding work and batches it. Texts from concurrent requests wait in one queue; at most
/// <c>maxConcurrency</c> workers take what is waiting (up to <c>maxBatchSize</c> texts) and embed it in
/// one call. A burst of stores therefore queues instead of taking every core, and costs fewer model
/// calls. Nothing waits for a batch to fill: a lone text is embedded at once.
/// </summary>
internal sealed class BatchingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly int _maxBatchSize;
    private readonly int _dimensions;
    private readonly Task[] _workers;

    public BatchingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int maxConcurrency, int maxBatchSize, int dimensions)
        : base(inner)
    {
        _maxBatchSize = maxBatchSize;
        _dimensions = dimensions;
        _workers = Enumerable.Range(0, maxConcurrency).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var pending = values.Select(value => new Pending(value, options, cancellationToken)).ToArray();
        foreach (var item in pending)
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }

        var embeddings = new Embedding<float>[pending.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            embeddings[i] = await pending[i].Result.Task.WaitAsync(cancellationToken);
        }

        return new GeneratedEmbeddings<Embedding<float>>(embeddings);
    }

    private async Task WorkAsync()
    {
        var batch = new List<Pending>(_maxBatchSize);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var item))
            {
                // Requests that gave up are not worth the CPU.
                if (item.CancellationToken.IsCancellationRequested)
                {
                    item.Result.TrySetCanceled(item.CancellationToken);
                }
                else if (batch.Count == 0 || ReferenceEquals(batch[0].Options, item.Options))
                {
                    batch.Add(item);
                }
                else
                {
                    await EmbedAsync([item]);
                }
            }

            if (batch.Count > 0)
            {
                await EmbedAsync(batch);
            }
        }
    }

    private async Task EmbedAsync(IReadOnlyList<Pending> batch)
    {
        try
        {
            var generated = await base.GenerateAsync(batch.Select(p => p.Text), batch[0].Options, CancellationToken.None);
            if (generated.Count != batch.Count)
            {
                throw new InvalidOperationException($"The embedding provider returned {generated.Count} embeddings for {batch.Count} texts.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                if (generated[i].Vector.Length != _dimensions)
                {
                    throw new InvalidOperationException(
                        $"The embedding provider returned {generated[i].Vector.Length} dimensions; semantic memory holds {_dimensions}. Configure the model's dimensions to match.");
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(generated[i]);
            }
        }
        catch (Exception ex)
        {
            foreach (var item in batch)
            {
                item.Result.TrySetException(ex);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _queue.Writer.TryComplete();
            Task.WaitAll(_workers, TimeSpan.FromSeconds(10));
        }

        base.Dispose(disposing);
    }

    private sealed record Pending(string Text, EmbeddingGenerationOptions? Options, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<Embedding<float>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
