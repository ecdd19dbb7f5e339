using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// An agent's newest episodes, newest first, for the whole-agent view and search. Hot episodes are
/// all newer than cold ones (the worker moves only what is older than its cutoff), so the newest are
/// read backwards from the hot items, and only when those are too few from the cold batches, newest
/// batch first. An episode being moved (hot and cold at once) is returned once.
/// </summary>
public sealed class RecentEpisodes(IAmazonDynamoDB dynamo, ColdEpisodeStore cold, IOptions<StorageOptions> options)
{
    private string Table => options.Value.MemoryTable;

    public async Task<IReadOnlyList<EpisodeRecord>> ListAsync(string tenantId, string agentId, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, EpisodeQuery.MaxLimit);
        var partition = MemoryKeys.Partition(tenantId, agentId);
        var newest = new Dictionary<string, EpisodeRecord>(StringComparer.Ordinal);

        var hot = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":from"] = S(MemoryKeys.EpisodePrefix),
                [":to"] = S(MemoryKeys.EpisodePrefix + "~"),
            },
            ScanIndexForward = false,
            ConsistentRead = true,
            Limit = limit,
        }, cancellationToken);
        foreach (var episode in (hot.Items ?? []).Select(EpisodeItems.FromItem))
        {
            newest[episode.Id] = episode;
        }

        if (newest.Count < limit)
        {
            await AddColdAsync(tenantId, agentId, partition, limit, newest, cancellationToken);
        }

        return [.. newest.Values.OrderByDescending(e => e.Position.ToString(), StringComparer.Ordinal).Take(limit)];
    }

    /// <summary>
    /// Reads cold batches newest first until the page is full and the next batch starts on an earlier
    /// UTC day than the oldest episode kept (a batch holds one day, so it has nothing newer).
    /// </summary>
    private async Task AddColdAsync(string tenantId, string agentId, string partition, int limit, Dictionary<string, EpisodeRecord> newest, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":from"] = S(MemoryKeys.ColdPrefix),
                [":to"] = S(MemoryKeys.ColdPrefix + "~"),
            },
            ScanIndexForward = false,
            ConsistentRead = true,
            Limit = 100,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            foreach (var batch in (response.Items ?? []).Select(ColdBatch.FromItem))
            {
                if (newest.Count >= limit && string.CompareOrdinal(batch.First.Day, OldestKept(newest, limit).Day) < 0)
                {
                    return;
                }

                await foreach (var episode in cold.StreamBatchAsync(tenantId, agentId, batch, cancellationToken))
                {
                    newest.TryAdd(episode.Id, episode);
                    if (newest.Count > limit)
                    {
                        // A batch may hold 1,000 episodes: keep only the newest, so memory stays at 'limit' episodes.
                        newest.Remove(newest.Values.MinBy(e => e.Position)!.Id);
                    }
                }
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }

    private static EpisodePosition OldestKept(Dictionary<string, EpisodeRecord> newest, int limit) =>
        newest.Values.Select(e => e.Position).OrderDescending().ElementAt(limit - 1);
}
