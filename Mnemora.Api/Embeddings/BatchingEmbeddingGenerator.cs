using Microsoft.Extensions.AI;
using Mnemora.Storage;

namespace Mnemora.Api.Embeddings;

/// <summary>
/// Bounds embedding work, shares it between tenants and batches it. Texts wait in a line per tenant, in two lanes
/// (<see cref="EmbeddingWork"/>): at most <c>maxConcurrency</c> workers take up to <c>maxBatchSize</c> waiting texts
/// at a time, and no more than <c>maxBatchCharacters</c> of padded input (a batch costs its size times its longest
/// text, so a few long texts make a batch of their own and a short search never waits on thirty of them), one from
/// each waiting tenant in turn, interactive ones first (every fourth pick goes to bulk work, so an
/// import still advances under a steady stream of searches). A tenant that queues thousands of texts therefore waits
/// behind itself, not in front of everyone: another tenant's lone search is in the next batch. A tenant may have at
/// most <c>maxQueuedPerTenant</c> texts waiting; more is a fast <see cref="TenantBusyException"/> (429), never an
/// unbounded queue. Nothing waits for a batch to fill: a lone text is embedded at once.
/// </summary>
internal sealed class BatchingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private const int BulkTurnEvery = 4;

    private readonly Lock _lock = new();
    private readonly Lane[] _lanes = [new(), new()];
    private readonly Dictionary<string, int> _queuedByTenant = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _waiting = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxBatchSize;
    private readonly int _maxBatchCharacters;
    private readonly int _maxInputCharacters;
    private readonly int _maxQueuedPerTenant;
    private readonly int _dimensions;
    private readonly Task[] _workers;
    private long _picks;

    public BatchingEmbeddingGenerator(
        IEmbeddingGenerator<string, Embedding<float>> inner, int maxConcurrency, int maxBatchSize, int maxBatchCharacters, int maxInputCharacters, int maxQueuedPerTenant, int dimensions)
        : base(inner)
    {
        _maxBatchSize = maxBatchSize;
        _maxBatchCharacters = maxBatchCharacters;
        _maxInputCharacters = maxInputCharacters;
        _maxQueuedPerTenant = maxQueuedPerTenant;
        _dimensions = dimensions;
        _workers = Enumerable.Range(0, maxConcurrency).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (tenantId, lane) = EmbeddingWork.Of(options);
        var pending = values.Select(value => new Pending(tenantId, value, cancellationToken)).ToArray();
        Enqueue(tenantId, _lanes[(int)lane], pending);

        var embeddings = new Embedding<float>[pending.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            embeddings[i] = await pending[i].Result.Task.WaitAsync(cancellationToken);
        }

        return new GeneratedEmbeddings<Embedding<float>>(embeddings);
    }

    /// <summary>The texts a tenant has waiting (for tests and metrics).</summary>
    internal int Queued(string tenantId)
    {
        lock (_lock)
        {
            return _queuedByTenant.GetValueOrDefault(tenantId);
        }
    }

    private void Enqueue(string tenantId, Lane lane, Pending[] pending)
    {
        if (pending.Length == 0)
        {
            return;
        }

        lock (_lock)
        {
            var queued = _queuedByTenant.GetValueOrDefault(tenantId);
            if (queued + pending.Length > _maxQueuedPerTenant)
            {
                throw new TenantBusyException("embeddings", TimeSpan.FromSeconds(1),
                    $"This tenant already has {queued} texts waiting to be embedded (at most {_maxQueuedPerTenant}); retry when they are done.");
            }

            _queuedByTenant[tenantId] = queued + pending.Length;
            lane.Add(tenantId, pending);

            // Counted under the lock, so a worker that takes a count always finds its text.
            _waiting.Release(pending.Length);
        }
    }

    private async Task WorkAsync()
    {
        var batch = new List<Pending>(_maxBatchSize);
        try
        {
            while (true)
            {
                await _waiting.WaitAsync(_stopping.Token);
                batch.Clear();
                var longest = Take(batch, 0);
                while (batch.Count < _maxBatchSize && NextFits(batch.Count, longest) && _waiting.Wait(0))
                {
                    longest = Take(batch, longest);
                }

                if (batch.Count > 0)
                {
                    await EmbedAsync(batch);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Whether the text whose turn is next keeps the batch within its padded-input budget.</summary>
    private bool NextFits(int count, int longest)
    {
        lock (_lock)
        {
            var (first, second) = LaneOrder(_picks + 1);
            var next = first.Peek() ?? second.Peek();
            return next is not null && (count + 1) * Math.Max(longest, Cost(next)) <= _maxBatchCharacters;
        }
    }

    private (Lane First, Lane Second) LaneOrder(long pick) =>
        pick % BulkTurnEvery == 0 ? (_lanes[1], _lanes[0]) : (_lanes[0], _lanes[1]);

    /// <summary>What a text costs the model: its length as the model reads it (a batch is padded to its longest).</summary>
    private int Cost(Pending item) => Math.Min(item.Text.Length, _maxInputCharacters);

    /// <summary>
    /// Takes the next waiting text (one was counted for this call), skipping it if its caller gave up; the longest
    /// cost in the batch after it.
    /// </summary>
    private int Take(List<Pending> batch, int longest)
    {
        Pending item;
        lock (_lock)
        {
            var (first, second) = LaneOrder(++_picks);
            item = first.TryTake() ?? second.TryTake() ?? throw new InvalidOperationException("A counted text was not in the queue.");
            var left = _queuedByTenant[item.TenantId] - 1;
            if (left == 0)
            {
                _queuedByTenant.Remove(item.TenantId);
            }
            else
            {
                _queuedByTenant[item.TenantId] = left;
            }
        }

        // Requests that gave up are not worth the CPU.
        if (item.CancellationToken.IsCancellationRequested)
        {
            item.Result.TrySetCanceled(item.CancellationToken);
            return longest;
        }

        batch.Add(item);
        return Math.Max(longest, Cost(item));
    }

    private async Task EmbedAsync(IReadOnlyList<Pending> batch)
    {
        try
        {
            var generated = await base.GenerateAsync(batch.Select(p => p.Text), options: null, CancellationToken.None);
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
            _stopping.Cancel();
            Task.WaitAll(_workers, TimeSpan.FromSeconds(10));
            lock (_lock)
            {
                foreach (var lane in _lanes)
                {
                    while (lane.TryTake() is { } left)
                    {
                        left.Result.TrySetCanceled();
                    }
                }
            }

            _stopping.Dispose();
            _waiting.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>One lane: a line of texts per tenant, and the tenants with texts waiting, in turn.</summary>
    private sealed class Lane
    {
        private readonly Dictionary<string, Queue<Pending>> _byTenant = new(StringComparer.Ordinal);
        private readonly Queue<string> _turns = new();

        public void Add(string tenantId, Pending[] pending)
        {
            if (!_byTenant.TryGetValue(tenantId, out var line))
            {
                _byTenant[tenantId] = line = new Queue<Pending>();
                _turns.Enqueue(tenantId);
            }

            foreach (var item in pending)
            {
                line.Enqueue(item);
            }
        }

        /// <summary>The text <see cref="TryTake"/> would return, left in place.</summary>
        public Pending? Peek() => _turns.TryPeek(out var tenantId) ? _byTenant[tenantId].Peek() : null;

        /// <summary>The first text of the tenant whose turn it is; that tenant goes to the back of the turns if it has more.</summary>
        public Pending? TryTake()
        {
            if (!_turns.TryDequeue(out var tenantId))
            {
                return null;
            }

            var line = _byTenant[tenantId];
            var item = line.Dequeue();
            if (line.Count > 0)
            {
                _turns.Enqueue(tenantId);
            }
            else
            {
                _byTenant.Remove(tenantId);
            }

            return item;
        }
    }

    private sealed record Pending(string TenantId, string Text, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<Embedding<float>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
