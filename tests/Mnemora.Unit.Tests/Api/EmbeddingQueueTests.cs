using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Mnemora.Api.Embeddings;
using Mnemora.Storage;

namespace Mnemora.Unit.Tests.Api;

/// <summary>
/// The shared embedding queue: tenants take turns, interactive texts go ahead of bulk ones, and a tenant's waiting
/// texts are bounded. The model is a stand-in that records the order it is asked in and can be held.
/// </summary>
public sealed class EmbeddingQueueTests
{
    [Fact]
    public async Task AnotherTenantsLoneSearchIsEmbeddedNextNotAfterAFloodAlreadyWaiting()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 4);

        // The model is busy with the noisy tenant's first text; then 200 more of its texts wait, then one of the quiet tenant's.
        var first = await BusyAsync(model, queue, "noisy", "noisy 0", cancellationToken);
        var flood = queue.GenerateAsync(Enumerable.Range(1, 200).Select(i => $"noisy {i}"), EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken);
        var quiet = queue.GenerateAsync(["quiet search"], EmbeddingWork.For("quiet", EmbeddingLane.Interactive), cancellationToken);
        Assert.Equal(201, queue.Queued("noisy") + queue.Queued("quiet"));
        model.Release();
        await Task.WhenAll(first, flood, quiet);

        // The next call after the one in flight holds the quiet text: turns alternate between the waiting tenants.
        var calls = model.Calls.ToList();
        Assert.Contains("quiet search", calls[1]);
        Assert.Equal(202, calls.Sum(c => c.Count));
    }

    [Fact]
    public async Task InteractiveTextsGoAheadOfBulkButBulkStillAdvances()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 1);

        var first = await BusyAsync(model, queue, "a", "warm", cancellationToken);
        var bulk = queue.GenerateAsync(Enumerable.Range(0, 10).Select(i => $"import {i}"), EmbeddingWork.For("a", EmbeddingLane.Bulk), cancellationToken);
        var searches = queue.GenerateAsync(Enumerable.Range(0, 10).Select(i => $"search {i}"), EmbeddingWork.For("b", EmbeddingLane.Interactive), cancellationToken);
        model.Release();
        await Task.WhenAll(first, bulk, searches);

        var order = model.Calls.Skip(1).Select(c => c.Single()).ToList();
        var lastSearch = order.FindLastIndex(t => t.StartsWith("search", StringComparison.Ordinal));
        var importsBeforeLastSearch = order.Take(lastSearch).Count(t => t.StartsWith("import", StringComparison.Ordinal));

        // Mostly searches first, yet one pick in four went to the import meanwhile.
        Assert.InRange(importsBeforeLastSearch, 1, 4);
        Assert.Equal(20, order.Count);
    }

    [Fact]
    public async Task LongTextsMakeSmallBatchesSoAShortSearchWaitsOnFew()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 32, maxBatchCharacters: 4_000, maxInputCharacters: 1_000);

        var first = await BusyAsync(model, queue, "noisy", "warm", cancellationToken);
        var longTexts = queue.GenerateAsync(Enumerable.Range(0, 12).Select(i => new string((char)('a' + i), 5_000)), EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken);
        var quiet = queue.GenerateAsync(["quiet search"], EmbeddingWork.For("quiet", EmbeddingLane.Interactive), cancellationToken);
        model.Release();
        await Task.WhenAll(first, longTexts, quiet);

        // Texts count as at most 1,000 characters (the model's cut): at most 4 in a batch, the short one among the first.
        var calls = model.Calls.Skip(1).ToList();
        Assert.All(calls, call => Assert.True(call.Count * call.Max(t => Math.Min(t.Length, 1_000)) <= 4_000, $"A batch of {call.Count} texts."));
        Assert.Contains("quiet search", calls[0]);
        Assert.Equal(13, calls.Sum(c => c.Count));
    }

    [Fact]
    public async Task WhileALongTextHoldsTheModelAnotherTenantsShortSearchIsEmbeddedBesideIt()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 32, maxBatchCharacters: 4_000, shortTextCharacters: 100);

        // The general worker is held by the noisy tenant's long text; the noisy tenant's short search, another long
        // text of its own, a short text of an import and the quiet tenant's short search queue up, in that order.
        var held = await BusyAsync(model, queue, "noisy", new string('a', 3_000), cancellationToken);
        var noisySearch = queue.GenerateAsync(["noisy search"], EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken);
        var longer = queue.GenerateAsync([new string('b', 3_000)], EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken);
        var import = queue.GenerateAsync(["imported"], EmbeddingWork.For("importer", EmbeddingLane.Bulk), cancellationToken);
        var search = queue.GenerateAsync(["quiet search"], EmbeddingWork.For("quiet", EmbeddingLane.Interactive), cancellationToken);

        // The model is called again while its first call is still held: the short-text worker took the quiet search,
        // and only it. The long text is too long for it, bulk work is not its to take, and the noisy tenant already has
        // a batch being embedded (a tenant holds one worker at a time). Without that worker no second call comes.
        await model.WaitForAnotherCallAsync(cancellationToken);

        Assert.Equal(["quiet search"], model.Calls.ElementAt(1));
        model.Release();
        await Task.WhenAll(held, longer, noisySearch, import, search);

        Assert.Equal(5, model.Calls.Sum(call => call.Count));
        Assert.DoesNotContain(model.Calls.Skip(2), call => call.Contains("quiet search"));
    }

    [Fact]
    public async Task ATenantHoldsAtMostHalfTheWorkersAndAnotherTenantGetsTheNextOne()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 1, maxConcurrency: 4);

        // Four workers, the model held: the noisy tenant's six texts go into two of them, the other four texts wait.
        model.Hold();
        var flood = queue.GenerateAsync(Enumerable.Range(0, 6).Select(i => $"noisy {i}"), EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken);
        await model.WaitUntilCalledAsync(2, cancellationToken);
        var quiet = queue.GenerateAsync(["quiet search"], EmbeddingWork.For("quiet", EmbeddingLane.Interactive), cancellationToken);

        // The next call is the quiet tenant's: two idle workers were left, and the noisy tenant may not take them.
        await model.WaitForAnotherCallAsync(cancellationToken);

        Assert.Equal(["quiet search"], model.Calls.ElementAt(2));
        model.Release();
        await Task.WhenAll(flood, quiet);
        Assert.Equal(7, model.Calls.Count);
    }

    [Fact]
    public async Task ATenantsWaitingTextsAreBoundedAndAnotherTenantIsNotAffected()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 8, maxQueuedPerTenant: 10);

        var first = await BusyAsync(model, queue, "noisy", "busy", cancellationToken);
        var ten = queue.GenerateAsync(Enumerable.Range(0, 10).Select(i => $"n {i}"), EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken);

        var refused = await Assert.ThrowsAsync<TenantBusyException>(() => queue.GenerateAsync(["one more"], EmbeddingWork.For("noisy", EmbeddingLane.Interactive), cancellationToken));
        Assert.Equal("embeddings", refused.Resource);
        var quiet = queue.GenerateAsync(["quiet"], EmbeddingWork.For("quiet", EmbeddingLane.Interactive), cancellationToken);

        model.Release();
        await Task.WhenAll(first, ten, quiet);
        Assert.Equal(0, queue.Queued("noisy"));
        Assert.DoesNotContain(model.Calls, c => c.Contains("one more"));
    }

    [Fact]
    public async Task TheModelIsCalledOnTheWorkersOwnThreadsNotTheThreadPool()
    {
        // A local model computes on its caller's thread; on the thread pool two long texts would hold every thread a
        // two-core machine starts with, and every tenant's requests would wait for the pool to grow.
        var cancellationToken = TestContext.Current.CancellationToken;
        using var model = new RecordingModel();
        using var queue = Queue(model, maxBatchSize: 1, shortTextCharacters: 100);
        await queue.GenerateAsync([new string('x', 200)], EmbeddingWork.For("a", EmbeddingLane.Bulk), cancellationToken);
        await queue.GenerateAsync(["short"], EmbeddingWork.For("b", EmbeddingLane.Interactive), cancellationToken);

        Assert.Equal(2, model.CallerThreads.Count);
        Assert.All(model.CallerThreads, onPool => Assert.False(onPool, "The model was called on a thread-pool thread."));
    }

    private static BatchingEmbeddingGenerator Queue(
        RecordingModel model, int maxBatchSize, int maxBatchCharacters = 1_000_000, int maxInputCharacters = 4096, int maxQueuedPerTenant = 1000,
        int shortTextCharacters = 0, int maxConcurrency = 1) =>
        new(model, maxConcurrency, maxBatchSize, maxBatchCharacters, maxInputCharacters, maxQueuedPerTenant, RecordingModel.Dimensions, shortTextCharacters);

    /// <summary>Holds the model and gives it one text of <paramref name="tenantId"/>: the queue's only worker is busy until released.</summary>
    private static async Task<Task<GeneratedEmbeddings<Embedding<float>>>> BusyAsync(
        RecordingModel model, BatchingEmbeddingGenerator queue, string tenantId, string text, CancellationToken cancellationToken)
    {
        model.Hold();
        var first = queue.GenerateAsync([text], EmbeddingWork.For(tenantId, EmbeddingLane.Interactive), cancellationToken);
        await model.WaitUntilCalledAsync(1, cancellationToken);
        return first;
    }

    /// <summary>A model that answers fixed vectors, records each call's texts, and can hold its callers.</summary>
    private sealed class RecordingModel : IEmbeddingGenerator<string, Embedding<float>>
    {
        public const int Dimensions = 4;

        private readonly SemaphoreSlim _called = new(0);
        private volatile TaskCompletionSource _gate = CompletedGate();

        public ConcurrentQueue<IReadOnlyList<string>> Calls { get; } = new();

        /// <summary>For each call, whether it came on a thread-pool thread.</summary>
        public ConcurrentQueue<bool> CallerThreads { get; } = new();

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public async Task WaitUntilCalledAsync(int calls, CancellationToken cancellationToken)
        {
            for (var i = 0; i < calls; i++)
            {
                await _called.WaitAsync(cancellationToken);
            }
        }

        /// <summary>Waits for one more call, failing the test (cancelled) if none comes within 30 s.</summary>
        public async Task WaitForAnotherCallAsync(CancellationToken cancellationToken)
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(TimeSpan.FromSeconds(30));
            await WaitUntilCalledAsync(1, bound.Token);
        }

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            CallerThreads.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
            Calls.Enqueue(texts);
            _called.Release();
            await _gate.Task.WaitAsync(cancellationToken);
            return new GeneratedEmbeddings<Embedding<float>>(texts.Select(_ => new Embedding<float>(new float[Dimensions])));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() => _called.Dispose();

        private static TaskCompletionSource CompletedGate()
        {
            var gate = new TaskCompletionSource();
            gate.SetResult();
            return gate;
        }
    }
}
