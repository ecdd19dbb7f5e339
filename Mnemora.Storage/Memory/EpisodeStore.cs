using System.Collections.Concurrent;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Aws.DynamoItems;

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

    /// <summary>What a cold index item costs the read budget, roughly (its keys, types and hash).</summary>
    private const long IndexItemBytes = 400;

    /// <summary>The most a DynamoDB Query reads for one response.</summary>
    private const long DynamoResponseBytes = 1024 * 1024;

    // Hours this process has registered for the worker; an hour is written at most once per process.
    private readonly ConcurrentDictionary<string, bool> _registeredHours = new(StringComparer.Ordinal);

    private string Table => options.Value.MemoryTable;

    /// <summary>
    /// Stores a new episode with a server-assigned id and timestamp. Its bytes are reserved within
    /// <paramref name="limits"/> first (<see cref="StorageLimitException"/> leaves nothing) and stay counted
    /// when the worker moves it to S3 (the move adds its S3 bytes and removes its DynamoDB bytes).
    /// </summary>
    public async Task<EpisodeRecord> AppendAsync(string tenantId, string agentId, string sessionId, string type, string contentJson, string metadataJson, UsageLimits limits, CancellationToken cancellationToken)
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
        var bytes = new UsageDelta(DynamoBytes: ItemSize.Of(item));
        await usage.ReserveAsync(tenantId, bytes, limits, cancellationToken);
        try
        {
            await RegisterHourAsync(MemoryKeys.TierHour(now), cancellationToken);
            await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = item }, cancellationToken);
        }
        catch
        {
            // Given back even when the request was cancelled: the reservation must not outlive the write it was for.
            await usage.RecordAsync(tenantId, bytes.Negated(), CancellationToken.None);
            throw;
        }

        await usage.TrackAgentAsync(tenantId, agentId, sessionId, cancellationToken);
        return episode;
    }

    /// <summary>
    /// A page of the agent's episodes, oldest first, hot and cold merged, bounded three ways: at most
    /// <see cref="EpisodeQuery.Limit"/> episodes, about <see cref="EpisodeQuery.PageBytes"/> of episode JSON,
    /// and <see cref="EpisodeQuery.ReadBytes"/> read from the stores. Whichever ends the page first, its
    /// cursor is the last position this call covered, so the next page resumes exactly there, hot or cold.
    /// </summary>
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

        var page = new BoundedPage(query.Limit, lower, upper);

        // 1. Hot first: whatever the worker moves after this read is in the cold index read next.
        await ReadHotAsync(partition, query, page, cancellationToken);

        // 2. Cold batches that may overlap [lower, upper]. A batch holds one UTC day, so one that
        // reaches 'lower' starts no earlier than that day.
        var batchesRead = 0;
        var firstFrom = lower.Length >= 10 ? lower[..10] : "";
        await foreach (var batch in cold.QueryBatchesAsync(partition, query.SessionId, firstFrom, page.Upper, cancellationToken))
        {
            page.Read += IndexItemBytes;
            var first = batch.First.ToString();
            if (string.CompareOrdinal(first, page.Upper) > 0)
            {
                // The page was cut below this batch since the index query began; later batches start later still.
                break;
            }

            if (page.Read >= EpisodeQuery.ReadBytes && batchesRead > 0 && Before(batch.First) is var cut
                && string.CompareOrdinal(cut.ToString(), lower) > 0)
            {
                // The read budget is spent: the page covers everything before this batch, and the cursor says so.
                page.Cut(cut);
                break;
            }

            if (!batch.Overlaps(lower, page.Upper) || (query.Type is { } type && !batch.Types.Contains(type, StringComparer.Ordinal)))
            {
                continue;
            }

            batchesRead++;
            await foreach (var episode in cold.StreamBatchAsync(tenantId, agentId, batch, cancellationToken))
            {
                page.Read += EpisodeQuery.JsonBytes(episode);
                var position = episode.Position.ToString();
                if (string.CompareOrdinal(position, page.Upper) > 0)
                {
                    // A batch is in time order: the rest of it is beyond the page too.
                    break;
                }

                if (string.CompareOrdinal(position, lower) >= 0 && (query.Type is null || episode.Type == query.Type))
                {
                    page.Add(episode);
                }
            }
        }

        return page.ToPage();
    }

    /// <summary>Fills the page from the hot items, a DynamoDB page (at most 1 MB) at a time, until the page or the read budget is full.</summary>
    private async Task ReadHotAsync(string partition, EpisodeQuery query, BoundedPage page, CancellationToken cancellationToken)
    {
        var prefix = query.SessionId is null ? MemoryKeys.EpisodePrefix : MemoryKeys.SessionEpisodePrefix(query.SessionId);
        var keyName = query.SessionId is null ? Aws.DynamoTables.SortKey : MemoryKeys.SessionKey;
        var request = new QueryRequest
        {
            TableName = Table,
            IndexName = query.SessionId is null ? null : MemoryKeys.SessionIndex,
            KeyConditionExpression = query.SessionId is null ? "pk = :pk AND sk BETWEEN :lower AND :upper" : "pk = :pk AND ssk BETWEEN :lower AND :upper",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":lower"] = S(prefix + page.Lower),
                [":upper"] = S(prefix + page.Upper),
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

        while (true)
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            var returned = 0L;
            foreach (var item in response.Items ?? [])
            {
                returned += ItemSize.Of(item);
                page.Add(EpisodeItems.FromItem(item));
            }

            // A filtered Query reads up to 1 MB for each response however few items match.
            var more = response.LastEvaluatedKey is { Count: > 0 };
            page.Read += more && query.Type is not null ? Math.Max(returned, DynamoResponseBytes) : returned;
            if (!more)
            {
                return;
            }

            if (page.IsFull || page.Read >= EpisodeQuery.ReadBytes)
            {
                // Everything hot up to the last key evaluated was seen; beyond it nothing is known.
                var lastKey = response.LastEvaluatedKey![keyName].S;
                if (!EpisodePosition.TryParse(lastKey[prefix.Length..], out var stop))
                {
                    throw new InvalidDataException($"The episode key '{lastKey}' is malformed.");
                }

                page.Cut(stop.Value);
                return;
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
    }

    /// <summary>The greatest position before <paramref name="position"/>: a microsecond earlier with the greatest id.</summary>
    private static EpisodePosition Before(EpisodePosition position) =>
        new(EpisodePosition.FormatTimestamp(EpisodePosition.ParseTimestamp(position.Timestamp).AddTicks(-10)), "ffffffff-ffff-ffff-ffff-ffffffffffff");

    /// <summary>
    /// The page being built: the episodes kept in position order (one per position, so one per id), their JSON
    /// bytes, and <see cref="Upper"/>, the greatest position the page covers. Going over the count or the byte
    /// budget drops the newest episode and lowers <see cref="Upper"/> to the new newest: whatever was dropped
    /// is on the next page, so the page never holds more than its budget plus one episode.
    /// </summary>
    private sealed class BoundedPage(int limit, string lower, string upper)
    {
        private readonly SortedDictionary<string, EpisodeRecord> _episodes = new(StringComparer.Ordinal);
        private EpisodePosition? _cut;
        private long _bytes;

        public string Lower { get; } = lower;

        public string Upper { get; private set; } = upper;

        /// <summary>Bytes read from the stores by this call.</summary>
        public long Read { get; set; }

        public bool IsFull => _episodes.Count >= limit || _bytes >= EpisodeQuery.PageBytes;

        public void Add(EpisodeRecord episode)
        {
            var position = episode.Position.ToString();
            if (string.CompareOrdinal(position, Upper) > 0 || !_episodes.TryAdd(position, episode))
            {
                return;
            }

            _bytes += EpisodeQuery.JsonBytes(episode);
            while (_episodes.Count > limit || (_bytes > EpisodeQuery.PageBytes && _episodes.Count > 1))
            {
                var (newest, dropped) = _episodes.Last();
                _episodes.Remove(newest);
                _bytes -= EpisodeQuery.JsonBytes(dropped);
                Cut(_episodes.Last().Value.Position);
            }
        }

        /// <summary>The page ends at <paramref name="position"/> (inclusive) and the rest is on the next page.</summary>
        public void Cut(EpisodePosition position)
        {
            var text = position.ToString();
            var order = string.CompareOrdinal(text, Upper);
            if (order > 0 || (order == 0 && _cut is not null))
            {
                return;
            }

            Upper = text;
            _cut = position;
            while (_episodes.Count > 0 && string.CompareOrdinal(_episodes.Last().Key, text) > 0)
            {
                var (newest, dropped) = _episodes.Last();
                _episodes.Remove(newest);
                _bytes -= EpisodeQuery.JsonBytes(dropped);
            }
        }

        public EpisodePage ToPage() => new([.. _episodes.Values], _cut);
    }

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
