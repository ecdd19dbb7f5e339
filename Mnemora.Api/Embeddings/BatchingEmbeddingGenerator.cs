using Microsoft.Extensions.AI;
using Mnemora.Storage;

namespace Mnemora.Api.Embeddings;

/// <summary>
/// Bounds embedding work, shares it between tenants and batches it. Texts wait in a line per tenant, in two lanes
/// (<see cref="EmbeddingWork"/>): <c>maxConcurrency</c> workers take up to <c>maxBatchSize</c> waiting texts at a
/// time, and no more than <c>maxBatchCharacters</c> of padded input (a batch costs its size times its longest text, so
/// a few long texts make a batch of their own), one from each waiting tenant in turn, interactive ones first (every
/// fourth pick goes to bulk work, so an import still advances under a steady stream of searches). A tenant that
/// queues thousands of texts therefore waits behind itself, not in front of everyone: another tenant's lone search is
/// in the next batch, and a tenant's texts are in the batches of at most half the general workers (at least one) at a time.
/// One more worker takes short interactive texts only (at most <c>shortTextCharacters</c>, and no more than that of
/// padded input per batch): a search never waits for another tenant's long text, which holds the model for tens of
/// milliseconds, only for a few short ones. A tenant may have at most <c>maxQueuedPerTenant</c> texts waiting; more
/// is a fast <see cref="TenantBusyException"/> (429), never an unbounded queue. Nothing waits for a batch to fill: a
/// lone text is embedded at once.
/// </summary>
internal sealed class BatchingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private const int BulkTurnEvery = 4;

    private readonly Lock _lock = new();
    private readonly Lane[] _lanes = [new(), new()];
    private readonly Dictionary<string, int> _queuedByTenant = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _batchesByTenant = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _maxBatchSize;
    private readonly int _maxBatchCharacters;
    private readonly int _maxInputCharacters;
    private readonly int _maxQueuedPerTenant;
    private readonly int _dimensions;
    private readonly int _maxBatchesPerTenant;
    private readonly Worker[] _workers;
    private readonly Task[] _running;
    private long _picks;

    public BatchingEmbeddingGenerator(
        IEmbeddingGenerator<string, Embedding<float>> inner, int maxConcurrency, int maxBatchSize, int maxBatchCharacters, int maxInputCharacters,
        int maxQueuedPerTenant, int dimensions, int shortTextCharacters)
        : base(inner)
    {
        _maxBatchSize = maxBatchSize;
        _maxBatchCharacters = maxBatchCharacters;
        _maxInputCharacters = maxInputCharacters;
        _maxQueuedPerTenant = maxQueuedPerTenant;
        _dimensions = dimensions;
        _maxBatchesPerTenant = Math.Max(1, maxConcurrency / 2);
        _workers =
        [
            .. Enumerable.Range(0, maxConcurrency).Select(_ => new Worker(MaxCost: int.MaxValue, BatchBudget: maxBatchCharacters, InteractiveOnly: false)),
            .. shortTextCharacters > 0
                ? [new Worker(MaxCost: shortTextCharacters, BatchBudget: Math.Min(shortTextCharacters, maxBatchCharacters), InteractiveOnly: true)]
                : Array.Empty<Worker>(),
        ];
        // Each worker is a thread of its own: a local model computes on the calling thread for up to a hundred
        // milliseconds at a time, and on the thread pool (as many threads as cores, to begin with) it could leave the
        // requests of every tenant waiting for a thread.
        _running = [.. _workers.Select(worker => Task.Factory.StartNew(() => Work(worker), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];
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

            WakeIdleWorkers();
        }
    }

    /// <summary>Idle workers look again (one that finds nothing it may take goes back to sleep). Called under the lock.</summary>
    private void WakeIdleWorkers()
    {
        foreach (var worker in _workers)
        {
            if (worker.Idle && worker.Wake.CurrentCount == 0)
            {
                worker.Wake.Release();
            }
        }
    }

    private void Work(Worker worker)
    {
        var batch = new List<Pending>(_maxBatchSize);
        try
        {
            while (true)
            {
                batch.Clear();
                TakeBatch(worker, batch);
                if (batch.Count > 0)
                {
                    Embed(batch);
                    Finish(batch);
                }
                else
                {
                    // Marked idle under the lock in TakeBatch, so a text queued since then has released the wake.
                    worker.Wake.Wait(_stopping.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with the texts whose turn is next among those the worker takes, while they keep
    /// the batch within its padded-input budget (the first text always goes); the worker is idle when none was found.
    /// A tenant's texts are in the batches of at most half the general workers at a time (at least one; one up to four
    /// cores): while those are embedded its other texts wait, so one tenant never holds every core the local model
    /// has, and a worker is left for the others. Texts whose callers gave up are dropped on the way: they are not worth the CPU.
    /// </summary>
    private void TakeBatch(Worker worker, List<Pending> batch)
    {
        lock (_lock)
        {
            var longest = 0;
            bool Takes(Pending text) =>
                Cost(text) <= worker.MaxCost
                && (_batchesByTenant.GetValueOrDefault(text.TenantId) < _maxBatchesPerTenant || batch.Exists(b => b.TenantId == text.TenantId));
            while (batch.Count < _maxBatchSize)
            {
                var (first, second) = worker.InteractiveOnly ? (_lanes[0], _lanes[0]) : LaneOrder(_picks + 1);
                var (lane, next) = first.Peek(Takes) is { } inFirst ? (first, inFirst) : (second, second.Peek(Takes));
                if (next is null
                    || (batch.Count > 0 && (batch.Count + 1) * Math.Max(longest, Cost(next)) > worker.BatchBudget))
                {
                    break;
                }

                // Only the general workers' picks count towards bulk work's turn.
                if (!worker.InteractiveOnly)
                {
                    _picks++;
                }

                var item = lane.Take(next);
                var left = _queuedByTenant[item.TenantId] - 1;
                if (left == 0)
                {
                    _queuedByTenant.Remove(item.TenantId);
                }
                else
                {
                    _queuedByTenant[item.TenantId] = left;
                }

                if (item.CancellationToken.IsCancellationRequested)
                {
                    item.Result.TrySetCanceled(item.CancellationToken);
                    continue;
                }

                batch.Add(item);
                longest = Math.Max(longest, Cost(item));
            }

            worker.Idle = batch.Count == 0;
            foreach (var tenantId in batch.Select(b => b.TenantId).Distinct(StringComparer.Ordinal))
            {
                _batchesByTenant[tenantId] = _batchesByTenant.GetValueOrDefault(tenantId) + 1;
            }
        }
    }

    /// <summary>The batch's tenants may be taken by any worker again; a worker left idle by them looks again.</summary>
    private void Finish(List<Pending> batch)
    {
        lock (_lock)
        {
            foreach (var tenantId in batch.Select(b => b.TenantId).Distinct(StringComparer.Ordinal))
            {
                if (--_batchesByTenant[tenantId] == 0)
                {
                    _batchesByTenant.Remove(tenantId);
                }
            }

            WakeIdleWorkers();
        }
    }

    private (Lane First, Lane Second) LaneOrder(long pick) =>
        pick % BulkTurnEvery == 0 ? (_lanes[1], _lanes[0]) : (_lanes[0], _lanes[1]);

    /// <summary>What a text costs the model: its length as the model reads it (a batch is padded to its longest).</summary>
    private int Cost(Pending item) => Math.Min(item.Text.Length, _maxInputCharacters);

    /// <summary>Embeds the batch on the worker's thread (a remote provider's call is waited for there, off the thread pool).</summary>
    private void Embed(IReadOnlyList<Pending> batch)
    {
        try
        {
            var generated = base.GenerateAsync(batch.Select(p => p.Text), options: null, CancellationToken.None).GetAwaiter().GetResult();
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
            Task.WaitAll(_running, TimeSpan.FromSeconds(10));
            lock (_lock)
            {
                foreach (var lane in _lanes)
                {
                    while (lane.Peek(_ => true) is { } left)
                    {
                        lane.Take(left).Result.TrySetCanceled();
                    }
                }
            }

            _stopping.Dispose();
            foreach (var worker in _workers)
            {
                worker.Wake.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>One lane: a line of texts per tenant, and the tenants with texts waiting, in turn.</summary>
    private sealed class Lane
    {
        private readonly Dictionary<string, Queue<Pending>> _byTenant = new(StringComparer.Ordinal);
        private readonly LinkedList<string> _turns = new();

        public void Add(string tenantId, Pending[] pending)
        {
            if (!_byTenant.TryGetValue(tenantId, out var line))
            {
                _byTenant[tenantId] = line = new Queue<Pending>();
                _turns.AddLast(tenantId);
            }

            foreach (var item in pending)
            {
                line.Enqueue(item);
            }
        }

        /// <summary>The next text, in the tenants' turns, of the first tenant whose next text <paramref name="takes"/> accepts.</summary>
        public Pending? Peek(Func<Pending, bool> takes)
        {
            for (var turn = _turns.First; turn is not null; turn = turn.Next)
            {
                var next = _byTenant[turn.Value].Peek();
                if (takes(next))
                {
                    return next;
                }
            }

            return null;
        }

        /// <summary>Takes <paramref name="item"/> (a text <see cref="Peek"/> gave); its tenant goes to the back of the turns if it has more.</summary>
        public Pending Take(Pending item)
        {
            var line = _byTenant[item.TenantId];
            line.Dequeue();
            _turns.Remove(item.TenantId);
            if (line.Count > 0)
            {
                _turns.AddLast(item.TenantId);
            }
            else
            {
                _byTenant.Remove(item.TenantId);
            }

            return item;
        }
    }

    /// <summary>
    /// One worker: the longest text it takes, its batches' padded-input budget, and whether it takes interactive texts
    /// only. <see cref="Idle"/> (guarded by the queue's lock) says it found nothing it takes and waits on <see cref="Wake"/>.
    /// </summary>
    private sealed record Worker(int MaxCost, int BatchBudget, bool InteractiveOnly)
    {
        public SemaphoreSlim Wake { get; } = new(0, 1);

        public bool Idle { get; set; }
    }

    private sealed record Pending(string TenantId, string Text, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<Embedding<float>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
