using Amazon.DynamoDBv2.Model;
using Mnemora.Storage.Tenancy;
using static Mnemora.Storage.Aws.DynamoItems;
using A = Mnemora.Storage.Tenancy.TenantItems.Attributes;

namespace Mnemora.Storage.Usage;

/// <summary>
/// Counters that are only reported, never checked against a limit (embeddings generated per month),
/// are added up in memory per tenant and written once per <see cref="FlushEvery"/>, not on every
/// search and store. Reads of the totals add this replica's share not yet written, and a graceful
/// shutdown writes it; a crash loses at most the last <see cref="FlushEvery"/> of this replica's counts.
/// Storage, vector, agent and session figures are written on every change, unless counted with a storage lease
/// (<c>DynamoUsageMeter.Leases.cs</c>), which this flush writes too.
/// </summary>
public sealed partial class DynamoUsageMeter
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Dictionary<(string Pk, string MonthSk), long> _pending = [];
    private Dictionary<(string Pk, string MonthSk), long> _writing = [];
    // Completed when the flush now writing ends; a read waits for it rather than count its batch twice or not at all.
    private TaskCompletionSource _flushed = Completed();
    // Counts the flushes begun: a read that saw the same number before and after its store read saw no write land.
    private long _flushesBegun;

    /// <summary>Counts the embeddings for the tenant's current month in memory; <see cref="FlushAsync"/> writes them.</summary>
    private void AddEmbeddings(string pk, long count)
    {
        if (count == 0)
        {
            return;
        }

        var key = (pk, TenantItems.MonthSk(time.GetUtcNow()));
        lock (_gate)
        {
            _pending[key] = _pending.GetValueOrDefault(key) + count;
        }
    }

    /// <summary>
    /// The tenant's embeddings of the month: the store's count plus this replica's share not yet in it. A flush
    /// moves counts from memory to the store, so the two are read with no flush in between: a flush that began
    /// during the store read could have landed before it or after it, and the read is made again.
    /// </summary>
    private async Task<long> EmbeddingsThisMonthAsync(string pk, string monthSk, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task writing;
            long begun;
            lock (_gate)
            {
                (writing, begun) = (_flushed.Task, _flushesBegun);
            }

            await writing.WaitAsync(cancellationToken);
            var stored = (await GetAsync(pk, monthSk, cancellationToken)).GetLong(A.Embeddings);
            lock (_gate)
            {
                if (_flushesBegun == begun && _writing.Count == 0)
                {
                    return stored + _pending.GetValueOrDefault((pk, monthSk));
                }
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    /// <summary>
    /// Writes the counts added up since the last flush (the month's embeddings, and what was reserved out of storage
    /// leases); what fails is kept for the next. Leases unused for a while are given back.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await FlushEmbeddingsAsync(cancellationToken);
        await FlushStorageLeasesAsync(returnAll: false, cancellationToken);
    }

    /// <summary>Writes every count held in memory and gives back every storage lease: the host is stopping.</summary>
    public async Task FlushAllAsync(CancellationToken cancellationToken)
    {
        await FlushEmbeddingsAsync(cancellationToken);
        // Twice: the first write gives each lease back (written as 0, in case that write is retried), the second removes it.
        await FlushStorageLeasesAsync(returnAll: true, cancellationToken);
        await FlushStorageLeasesAsync(returnAll: true, cancellationToken);
    }

    /// <summary>
    /// Writes the embeddings counted since the last flush, one <c>ADD</c> per tenant and month. A flush already writing
    /// (the background one) is waited for first, so that whatever was counted before this call is in the store when
    /// it returns.
    /// </summary>
    private async Task FlushEmbeddingsAsync(CancellationToken cancellationToken)
    {
        Dictionary<(string Pk, string MonthSk), long> batch;
        while (true)
        {
            Task writing;
            lock (_gate)
            {
                if (_writing.Count == 0)
                {
                    if (_pending.Count == 0)
                    {
                        return;
                    }

                    (batch, _pending) = (_pending, []);
                    _writing = batch;
                    _flushesBegun++;
                    _flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    break;
                }

                writing = _flushed.Task;
            }

            await writing.WaitAsync(cancellationToken);
        }

        var written = new HashSet<(string Pk, string MonthSk)>();
        try
        {
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (entry, ct) =>
            {
                var ((pk, monthSk), count) = entry;
                await dynamo.UpdateItemAsync(new UpdateItemRequest
                {
                    TableName = Table,
                    Key = Key(pk, monthSk),
                    UpdateExpression = $"ADD {A.Embeddings} :n",
                    ExpressionAttributeValues = new(StringComparer.Ordinal) { [":n"] = N(count) },
                }, ct);
                lock (written)
                {
                    written.Add(entry.Key);
                }
            });
        }
        finally
        {
            lock (_gate)
            {
                // What was not written (the store failed, or the flush was cut short) is counted again on the next flush.
                foreach (var (key, count) in batch)
                {
                    if (!written.Contains(key))
                    {
                        _pending[key] = _pending.GetValueOrDefault(key) + count;
                    }
                }

                _writing = [];
                _flushed.SetResult();
            }
        }
    }
}
