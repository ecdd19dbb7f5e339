using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Memory.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>
/// Episodic memory, hot and cold as one log. Hot episodes are DynamoDB items at
/// <c>sk = EPISODE#{timestamp}#{id}</c> (with the session index key <c>E#{session}#…</c>); cold ones
/// are in S3 batches listed by <see cref="ColdBatch"/> items in the same partition. Reads query
/// hot first, then the cold index, and merge by position, keeping one copy per id: an episode
/// the worker is moving at that moment (in both stores, or just moved between the two reads) is
/// returned exactly once.
/// </summary>
public sealed partial class EpisodeStore(
    IAmazonDynamoDB dynamo,
    ColdEpisodeStore cold,
    IOptions<StorageOptions> options,
    IUsageMeter usage,
    TimeProvider time)
{
    /// <summary>Content plus metadata, serialised: the item then stays under DynamoDB's 400 KiB.</summary>
    public const int MaxEpisodeBytes = 400_000;

    // Hours this process has registered for the worker; an hour is written at most once per process.
    private readonly ConcurrentDictionary<string, bool> _registeredHours = new(StringComparer.Ordinal);

    private string Table => options.Value.MemoryTable;

    /// <summary>Stores a new episode with a server-assigned id and timestamp.</summary>
    public async Task<EpisodeRecord> AppendAsync(string tenantId, string agentId, string sessionId, string type, string contentJson, string metadataJson, CancellationToken cancellationToken)
    {
        if (!EpisodeTypes.IsValid(type))
        {
            throw new ArgumentException("Unknown episode type.", nameof(type));
        }

        var partition = MemoryKeys.Partition(tenantId, agentId);
        var now = time.GetUtcNow();
        var position = EpisodePosition.New(now);
        var episode = new EpisodeRecord(position.Id, sessionId, type, contentJson, metadataJson, position.Timestamp);
        var item = EpisodeItems.ToItem(partition, episode);

        // The hour is registered before any episode of it exists, so the worker never misses one.
        await RegisterHourAsync(MemoryKeys.TierHour(now), cancellationToken);
        await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = item }, cancellationToken);
        await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: ItemSize.Of(item)), cancellationToken);
        await usage.TrackAgentAsync(tenantId, agentId, sessionId, cancellationToken);
        return episode;
    }

    /// <summary>A page of the agent's episodes, oldest first, hot and cold merged.</summary>
    public async Task<EpisodePage> ListAsync(string tenantId, string agentId, EpisodeQuery query, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, EpisodeQuery.MaxLimit);
        var partition = MemoryKeys.Partition(tenantId, agentId);

        // Bounds over position text ({timestamp}#{id}, fixed width), both inclusive.
        var lower = query.From is { } from ? EpisodePosition.FormatTimestamp(from) + "#" : "";
        if (query.After is { } after && string.CompareOrdinal(after + "~", lower) > 0)
        {
            // Any position greater than 'after' is also greater than 'after~' (same width), and 'after' itself is not.
            lower = after + "~";
        }

        var upper = query.To is { } to ? EpisodePosition.FormatTimestamp(to) + "#~" : "~";
        if (string.CompareOrdinal(lower, upper) > 0)
        {
            return new EpisodePage([], null);
        }

        // 1. Hot first: whatever the worker moves after this read is in the cold index read next.
        var (hot, hotHasMore) = await QueryHotAsync(partition, query, lower, upper, cancellationToken);
        if (hotHasMore)
        {
            // Beyond the last hot episode read, hot episodes are unknown: the page stops there.
            upper = hot[^1].Position.ToString();
        }

        var merged = new Dictionary<string, EpisodeRecord>(StringComparer.Ordinal);
        foreach (var episode in hot)
        {
            merged[episode.Id] = episode;
        }

        // 2. Cold batches that may overlap [lower, upper]. A batch holds one UTC day, so one that
        // reaches 'lower' starts no earlier than that day.
        var coldHasMore = false;
        var firstFrom = lower.Length >= 10 ? lower[..10] : "";
        await foreach (var batch in cold.QueryBatchesAsync(partition, query.SessionId, firstFrom, upper, cancellationToken))
        {
            if (!batch.Overlaps(lower, upper) || (query.Type is { } type && !batch.Types.Contains(type, StringComparer.Ordinal)))
            {
                continue;
            }

            if (merged.Count >= query.Limit && string.CompareOrdinal(batch.First.ToString(), KthPosition(merged, query.Limit)) > 0)
            {
                coldHasMore = true;
                break;
            }

            foreach (var episode in await cold.ReadBatchAsync(tenantId, agentId, batch, cancellationToken))
            {
                var position = episode.Position.ToString();
                if (string.CompareOrdinal(position, lower) >= 0 && string.CompareOrdinal(position, upper) <= 0
                    && (query.Type is null || episode.Type == query.Type))
                {
                    merged.TryAdd(episode.Id, episode);
                }
            }
        }

        var ordered = merged.Values.OrderBy(e => e.Position.ToString(), StringComparer.Ordinal).ToList();
        var hasMore = hotHasMore || coldHasMore || ordered.Count > query.Limit;
        if (ordered.Count > query.Limit)
        {
            ordered.RemoveRange(query.Limit, ordered.Count - query.Limit);
        }

        return new EpisodePage(ordered, hasMore && ordered.Count > 0 ? ordered[^1].Position : null);
    }

    private async Task<(List<EpisodeRecord> Episodes, bool HasMore)> QueryHotAsync(string partition, EpisodeQuery query, string lower, string upper, CancellationToken cancellationToken)
    {
        var prefix = query.SessionId is null ? MemoryKeys.EpisodePrefix : MemoryKeys.SessionEpisodePrefix(query.SessionId);
        var request = new QueryRequest
        {
            TableName = Table,
            IndexName = query.SessionId is null ? null : MemoryKeys.SessionIndex,
            KeyConditionExpression = query.SessionId is null ? "pk = :pk AND sk BETWEEN :lower AND :upper" : "pk = :pk AND ssk BETWEEN :lower AND :upper",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":lower"] = S(prefix + lower),
                [":upper"] = S(prefix + upper),
            },
            ConsistentRead = true,
            Limit = query.Limit + 1,
        };
        if (query.Type is { } type)
        {
            request.FilterExpression = "#type = :type";
            request.ExpressionAttributeNames = new() { ["#type"] = "type" };
            request.ExpressionAttributeValues[":type"] = S(type);
        }

        var episodes = new List<EpisodeRecord>();
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            episodes.AddRange((response.Items ?? []).Select(EpisodeItems.FromItem));
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (episodes.Count <= query.Limit && request.ExclusiveStartKey is { Count: > 0 });

        var hasMore = episodes.Count > query.Limit || request.ExclusiveStartKey is { Count: > 0 };
        if (episodes.Count > query.Limit)
        {
            episodes.RemoveRange(query.Limit, episodes.Count - query.Limit);
        }

        return (episodes, hasMore);
    }

    private static string KthPosition(Dictionary<string, EpisodeRecord> merged, int k) =>
        merged.Values.Select(e => e.Position.ToString()).Order(StringComparer.Ordinal).ElementAt(k - 1);

    private async Task RegisterHourAsync(string hour, CancellationToken cancellationToken)
    {
        if (_registeredHours.ContainsKey(hour))
        {
            return;
        }

        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = Table,
            Item = Key(MemoryKeys.TierRegistryPartition, hour),
        }, cancellationToken);

        if (_registeredHours.Count > 48)
        {
            _registeredHours.Clear();
        }

        _registeredHours[hour] = true;
    }
}
