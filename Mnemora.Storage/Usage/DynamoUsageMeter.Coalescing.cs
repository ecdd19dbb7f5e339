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
/// Storage and vector figures (limits) are written as before, on every change.
/// </summary>
public sealed partial class DynamoUsageMeter
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Dictionary<(string Pk, string MonthSk), long> _pending = [];
    private Dictionary<(string Pk, string MonthSk), long> _writing = [];

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

    /// <summary>This replica's embeddings of the month not yet in the store (pending or being written).</summary>
    private long UnwrittenEmbeddings(string pk, string monthSk)
    {
        lock (_gate)
        {
            return _pending.GetValueOrDefault((pk, monthSk)) + _writing.GetValueOrDefault((pk, monthSk));
        }
    }

    /// <summary>Writes the counts added up since the last flush, one <c>ADD</c> per tenant and month; what fails is kept for the next.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Dictionary<(string Pk, string MonthSk), long> batch;
        lock (_gate)
        {
            if (_pending.Count == 0 || _writing.Count > 0)
            {
                return;
            }

            (batch, _pending) = (_pending, []);
            _writing = batch;
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
            }
        }
    }
}
