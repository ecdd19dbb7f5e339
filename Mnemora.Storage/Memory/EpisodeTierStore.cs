using System.Runtime.CompilerServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// The tiering worker's access to hot episodes, without a Scan: the registry of hours that had
/// episodes (one Query), then per hour and shard the sparse tier index, which yields one key per
/// agent partition, then per partition a consistent Query of its episodes older than the cutoff.
/// </summary>
public sealed class EpisodeTierStore(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options)
{
    /// <summary>Episodes read per page when moving a partition.</summary>
    public const int PageSize = 1000;

    /// <summary>BatchWriteItem's limit.</summary>
    public const int DeleteChunk = 25;

    private string Table => options.Value.MemoryTable;

    /// <summary>Registered hours up to and including <paramref name="lastHour"/>, oldest first.</summary>
    public async Task<IReadOnlyList<string>> RegisteredHoursAsync(string lastHour, CancellationToken cancellationToken)
    {
        var hours = new List<string>();
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(MemoryKeys.TierRegistryPartition),
                [":from"] = S("HOT#"),
                [":to"] = S(lastHour),
            },
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            hours.AddRange((response.Items ?? []).Select(i => i.RequireString(Aws.DynamoTables.SortKey)));
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });

        return hours;
    }

    /// <summary>The next agent partition after <paramref name="after"/> that has a hot episode in the bucket: one index item per call, skipping the rest of that partition's.</summary>
    public async Task<string?> NextPartitionAsync(string bucket, string? after, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            IndexName = MemoryKeys.TierIndex,
            KeyConditionExpression = after is null ? "tb = :tb" : "tb = :tb AND pk > :after",
            ExpressionAttributeValues = new() { [":tb"] = S(bucket) },
            Limit = 1,
        };
        if (after is not null)
        {
            request.ExpressionAttributeValues[":after"] = S(after);
        }

        var response = await dynamo.QueryAsync(request, cancellationToken);
        return response.Items is [var item, ..] ? item.RequireString(Aws.DynamoTables.PartitionKey) : null;
    }

    /// <summary>The partition's hot episodes at or before <paramref name="cutoff"/>, oldest first, a page at a time, with each item's size.</summary>
    public async IAsyncEnumerable<IReadOnlyList<HotEpisode>> OldEpisodesAsync(string partition, string cutoff, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":from"] = S(MemoryKeys.EpisodePrefix),
                [":to"] = S(MemoryKeys.EpisodePrefix + cutoff),
            },
            ConsistentRead = true,
            Limit = PageSize,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            if (response.Items is { Count: > 0 } items)
            {
                yield return [.. items.Select(i => new HotEpisode(EpisodeItems.FromItem(i), ItemSize.Of(i)))];
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }

    /// <summary>Deletes up to <see cref="DeleteChunk"/> hot episodes; deleting one already gone is a no-op.</summary>
    public async Task DeleteHotAsync(string partition, IReadOnlyList<EpisodeRecord> episodes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(episodes.Count, DeleteChunk);
        if (episodes.Count == 0)
        {
            return;
        }

        var requests = episodes
            .Select(e => new WriteRequest { DeleteRequest = new DeleteRequest { Key = Key(partition, MemoryKeys.Episode(e.Position)) } })
            .ToList();
        var pending = new Dictionary<string, List<WriteRequest>> { [Table] = requests };
        var delay = TimeSpan.FromMilliseconds(50);
        while (pending is { Count: > 0 })
        {
            var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, cancellationToken);
            pending = response.UnprocessedItems;
            if (pending is { Count: > 0 })
            {
                await Task.Delay(delay, cancellationToken);
                delay *= 2;
            }
        }
    }

    /// <summary>Forgets an hour once all of its episodes have moved.</summary>
    public Task RemoveHourAsync(string hour, CancellationToken cancellationToken) =>
        dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = Table, Key = Key(MemoryKeys.TierRegistryPartition, hour) }, cancellationToken);
}

/// <summary>A hot episode and the size of its item, for the usage meter.</summary>
public sealed record HotEpisode(EpisodeRecord Episode, long ItemBytes);
