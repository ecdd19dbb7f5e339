using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2.Model;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>Export and import: an agent's whole log (hot and cold, through the same merged read), and episodes written with their original ids and times.</summary>
public sealed partial class EpisodeStore
{
    /// <summary>Concurrent conditional puts of one import call.</summary>
    private const int ImportConcurrency = 8;

    /// <summary>Every episode of the agent, oldest first, hot and cold merged, a page of <see cref="EpisodeQuery.MaxLimit"/> at a time.</summary>
    public async IAsyncEnumerable<EpisodeRecord> ReadAllAsync(string tenantId, string agentId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        EpisodePosition? after = null;
        do
        {
            var page = await ListAsync(tenantId, agentId, new EpisodeQuery(Limit: EpisodeQuery.MaxLimit, After: after), cancellationToken);
            foreach (var episode in page.Episodes)
            {
                yield return episode;
            }

            after = page.Next;
        }
        while (after is not null);
    }

    /// <summary>
    /// Stores episodes with the ids and timestamps they were exported with, hot in DynamoDB; the tiering
    /// worker moves the old ones to S3 on its next cycle. Episodes are immutable, so one already stored at
    /// the same position is kept as it is (a re-import adds nothing). Returns how many were new.
    /// </summary>
    public async Task<int> ImportAsync(string tenantId, string agentId, IReadOnlyList<EpisodeRecord> episodes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        if (episodes.Any(e => !EpisodeTypes.IsValid(e.Type)))
        {
            throw new ArgumentException("Unknown episode type.", nameof(episodes));
        }

        var partition = MemoryKeys.Partition(tenantId, agentId);
        var items = episodes.Select(e => EpisodeItems.ToItem(partition, e)).ToList();
        var hours = episodes.Select(e => MemoryKeys.TierHour(EpisodePosition.ParseTimestamp(e.Timestamp))).Distinct(StringComparer.Ordinal).ToList();

        // Past hours may have been forgotten by the worker already, so they are written whatever this
        // process remembers; before the episodes (the worker finds them) and again after (a worker that
        // forgot the hour in between sees it again).
        await PutHoursAsync(hours, cancellationToken);
        var added = 0L;
        var inserted = 0;
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = ImportConcurrency, CancellationToken = cancellationToken }, async (item, ct) =>
        {
            try
            {
                await dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = Table,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(sk)",
                }, ct);
                Interlocked.Add(ref added, ItemSize.Of(item));
                Interlocked.Increment(ref inserted);
            }
            catch (ConditionalCheckFailedException)
            {
                // Stored before (an earlier import of the same file): immutable, so nothing to do.
            }
        });
        await PutHoursAsync(hours, cancellationToken);

        if (added > 0)
        {
            await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: added), cancellationToken);
        }

        foreach (var session in episodes.Select(e => e.SessionId).Distinct(StringComparer.Ordinal))
        {
            await usage.TrackAgentAsync(tenantId, agentId, session, cancellationToken);
        }

        return inserted;
    }

    private Task PutHoursAsync(IEnumerable<string> hours, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(hours, new ParallelOptions { MaxDegreeOfParallelism = ImportConcurrency, CancellationToken = cancellationToken }, async (hour, ct) =>
            await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = Key(MemoryKeys.TierRegistryPartition, hour) }, ct));
}
