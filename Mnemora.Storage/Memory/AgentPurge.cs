using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>What an agent holds in the memory table and the episodes bucket: live state records, episodes (hot and cold, each counted once) and cold objects.</summary>
public sealed record AgentMemoryCounts(long State, long Episodes, long S3Objects);

/// <summary>
/// The GDPR purge of one agent's working and episodic memory: every item of its DynamoDB partition
/// <c>{tenant}#{agent}</c> (state, hot episodes, cold batch index; one Query, BatchWriteItem) and every
/// object under its S3 prefix <c>{tenant}/{agent}/</c> (ListObjectsV2, DeleteObjects). No Scan: both
/// are named by the agent's own keys. It first writes the purge marker (<see cref="PurgeMarkers"/>),
/// then repeats whole passes until one finds nothing, so episodes the tiering worker moves meanwhile
/// are caught wherever they are. Idempotent: a second purge deletes and counts nothing.
/// </summary>
public sealed class AgentPurge(
    IAmazonDynamoDB dynamo,
    IAmazonS3 s3,
    PurgeMarkers markers,
    IOptions<StorageOptions> options,
    IUsageMeter usage,
    TimeProvider time)
{
    /// <summary>Passes after which a purge that still finds new items gives up (and is retried by the caller).</summary>
    public const int MaxPasses = 20;

    private const int DeleteChunk = 25;
    private const int DeleteConcurrency = 8;
    private const string SessionAttribute = "session_id";
    private const string ExpiresAttribute = "expires_at";

    private string Table => options.Value.MemoryTable;

    private string Bucket => options.Value.EpisodesBucket;

    private string? Owner => options.Value.ExpectedBucketOwner;

    /// <summary>Deletes everything of the agent in the memory table and the bucket, uncounts its bytes, and returns what it held.</summary>
    public async Task<AgentMemoryCounts> PurgeAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var partition = MemoryKeys.Partition(tenantId, agentId);
        var prefix = MemoryKeys.ColdAgentPrefix(tenantId, agentId);
        var tally = new Tally(Now());
        for (var pass = 1; ; pass++)
        {
            // Renewed every pass, so the marker stays live however long the purge takes.
            await markers.MarkAsync(partition, cancellationToken);
            // Both stores at once: each is read after the marker exists, which is all the race argument needs.
            var found = await Task.WhenAll(
                PurgePartitionAsync(tenantId, partition, tally, cancellationToken),
                PurgeObjectsAsync(prefix, tally, cancellationToken));
            if (found.Sum() == 0)
            {
                break;
            }

            if (pass == MaxPasses)
            {
                throw new InvalidOperationException($"The purge of {partition} still found items after {MaxPasses} passes; run it again.");
            }
        }

        // The hold counts from the end: a move that read episodes before the purge still sees the marker.
        await markers.MarkAsync(partition, cancellationToken);
        return tally.Counts();
    }

    /// <summary>What a purge would delete now (cold objects as their index items count them), without deleting anything.</summary>
    public async Task<AgentMemoryCounts> CountAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var tally = new Tally(Now());
        await foreach (var page in PartitionPagesAsync(MemoryKeys.Partition(tenantId, agentId), cancellationToken))
        {
            foreach (var item in page)
            {
                tally.Add(item);
            }
        }

        return tally.Counts() with { S3Objects = tally.Batches.Count };
    }

    /// <summary>
    /// The agents that have objects under the tenant's prefix: a tenant purge and the retention reach these
    /// too, in case a crash kept one out of the agent registry. One ListObjectsV2 of one key per agent, each
    /// starting after the previous agent's prefix (key segments are ASCII, so <c>{agent}/\u007F</c> sorts
    /// after all of that agent's keys); the S3 emulator answers a delimiter listing with no common prefixes.
    /// </summary>
    public async Task<IReadOnlyList<string>> AgentsWithObjectsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var tenantPrefix = MemoryKeys.ColdTenantPrefix(tenantId);
        var request = new ListObjectsV2Request { BucketName = Bucket, ExpectedBucketOwner = Owner, Prefix = tenantPrefix, MaxKeys = 1 };
        var agents = new List<string>();
        while ((await s3.ListObjectsV2Async(request, cancellationToken)).S3Objects is [{ Key: { } key }, ..])
        {
            var end = key.IndexOf('/', tenantPrefix.Length);
            if (end < 0)
            {
                // Not an agent's object: go on after it.
                request.StartAfter = key;
                continue;
            }

            var segment = key[tenantPrefix.Length..end];
            if (Identifiers.FromKeySegment(segment) is { } agentId)
            {
                agents.Add(agentId);
            }

            request.StartAfter = tenantPrefix + segment + "/\u007F";
        }

        return agents;
    }

    /// <summary>One pass over the partition: deletes every item but the marker, a page at a time; returns how many it found.</summary>
    private async Task<int> PurgePartitionAsync(string tenantId, string partition, Tally tally, CancellationToken cancellationToken)
    {
        var found = 0;
        await foreach (var page in PartitionPagesAsync(partition, cancellationToken))
        {
            var items = new List<Dictionary<string, AttributeValue>>();
            var coldIndex = new List<Dictionary<string, AttributeValue>>();
            foreach (var item in page)
            {
                var sort = item.RequireString(Aws.DynamoTables.SortKey);
                if (sort == PurgeMarkers.SortKey)
                {
                    continue;
                }

                found++;
                (sort.StartsWith(MemoryKeys.ColdPrefix, StringComparison.Ordinal) ? coldIndex : items).Add(item);
            }

            await DeleteItemsAsync(items, cancellationToken);
            var dynamoBytes = items.Sum(tally.Add);

            // Index items one by one, each telling whether this call removed it: the worker may be
            // undoing the same batch, and exactly one of the two uncounts its bytes.
            var s3Bytes = 0L;
            await Parallel.ForEachAsync(coldIndex, new ParallelOptions { MaxDegreeOfParallelism = DeleteConcurrency, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var response = await dynamo.DeleteItemAsync(new DeleteItemRequest
                {
                    TableName = Table,
                    Key = Key(partition, item.RequireString(Aws.DynamoTables.SortKey)),
                    ReturnValues = ReturnValue.ALL_OLD,
                }, ct);
                if (response.Attributes is { Count: > 0 } removed)
                {
                    Interlocked.Add(ref s3Bytes, tally.Add(removed));
                }
            });

            if (dynamoBytes != 0 || s3Bytes != 0)
            {
                await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: -dynamoBytes, S3Bytes: -s3Bytes), cancellationToken);
            }
        }

        return found;
    }

    /// <summary>One pass over the agent's S3 prefix: deletes each listed page of objects; returns how many it found.</summary>
    private async Task<int> PurgeObjectsAsync(string prefix, Tally tally, CancellationToken cancellationToken)
    {
        var found = 0;
        var request = new ListObjectsV2Request { BucketName = Bucket, ExpectedBucketOwner = Owner, Prefix = prefix, MaxKeys = 1000 };
        ListObjectsV2Response response;
        do
        {
            response = await s3.ListObjectsV2Async(request, cancellationToken);
            var keys = (response.S3Objects ?? []).Select(o => o.Key).ToList();
            if (keys.Count > 0)
            {
                var deleted = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = Bucket,
                    ExpectedBucketOwner = Owner,
                    Objects = [.. keys.Select(k => new KeyVersion { Key = k })],
                    Quiet = true,
                }, cancellationToken);
                if (deleted.DeleteErrors is { Count: > 0 } errors)
                {
                    throw new InvalidOperationException($"S3 refused to delete {errors.Count} objects under {prefix} ({errors[0].Code}).");
                }

                found += keys.Count;
                tally.AddObjects(keys.Count);
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);

        return found;
    }

    /// <summary>The partition's items, a page at a time, consistently read; deleting a page does not disturb the next.</summary>
    private async IAsyncEnumerable<List<Dictionary<string, AttributeValue>>> PartitionPagesAsync(
        string partition,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk",
            ExpressionAttributeValues = new() { [":pk"] = S(partition) },
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            if (response.Items is { Count: > 0 } items)
            {
                yield return items;
            }

            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });
    }

    /// <summary>BatchWriteItem deletes, 25 keys a request, several requests at a time, retrying what the store leaves unprocessed.</summary>
    private async Task DeleteItemsAsync(List<Dictionary<string, AttributeValue>> items, CancellationToken cancellationToken)
    {
        var chunks = items.Chunk(DeleteChunk).Select(chunk => chunk
            .Select(item => new WriteRequest
            {
                DeleteRequest = new DeleteRequest
                {
                    Key = Key(item.RequireString(Aws.DynamoTables.PartitionKey), item.RequireString(Aws.DynamoTables.SortKey)),
                },
            })
            .ToList());
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = DeleteConcurrency, CancellationToken = cancellationToken }, async (requests, ct) =>
        {
            var pending = new Dictionary<string, List<WriteRequest>> { [Table] = requests };
            var delay = TimeSpan.FromMilliseconds(50);
            while (pending is { Count: > 0 })
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, ct);
                pending = response.UnprocessedItems;
                if (pending is { Count: > 0 })
                {
                    await Task.Delay(delay, ct);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                }
            }
        });
    }

    private string Now() => EpisodePosition.FormatTimestamp(time.GetUtcNow());

    /// <summary>
    /// Counts what a purge removes. An episode the worker is moving can be both hot and in a cold batch;
    /// a batch holds every hot episode of its session between its first and last position, so such an
    /// episode is counted once, with its batch.
    /// </summary>
    private sealed class Tally(string now)
    {
        private readonly Lock _lock = new();
        private readonly List<(string Session, string Position)> _hot = [];
        private long _state;
        private long _objects;

        public List<ColdBatch> Batches { get; } = [];

        /// <summary>Classifies one item of the partition; returns the bytes it counted for in the usage meter (DynamoDB for state and hot episodes, S3 for a cold batch).</summary>
        public long Add(Dictionary<string, AttributeValue> item)
        {
            var sort = item.RequireString(Aws.DynamoTables.SortKey);
            lock (_lock)
            {
                if (sort.StartsWith(MemoryKeys.StatePrefix, StringComparison.Ordinal))
                {
                    // Expired records are erased too, but they were already gone for every reader.
                    if (item.GetString(ExpiresAttribute) is not { } expires || string.CompareOrdinal(expires, now) > 0)
                    {
                        _state++;
                    }

                    return ItemSize.Of(item);
                }

                if (sort.StartsWith(MemoryKeys.EpisodePrefix, StringComparison.Ordinal))
                {
                    _hot.Add((item.GetString(SessionAttribute) ?? "", sort[MemoryKeys.EpisodePrefix.Length..]));
                    return ItemSize.Of(item);
                }

                if (sort.StartsWith(MemoryKeys.ColdPrefix, StringComparison.Ordinal) && TryReadBatch(item) is { } batch)
                {
                    Batches.Add(batch);
                    return batch.Bytes;
                }

                return 0;
            }
        }

        public void AddObjects(int count) => Interlocked.Add(ref _objects, count);

        public AgentMemoryCounts Counts()
        {
            lock (_lock)
            {
                var bySession = Batches.ToLookup(b => b.SessionId, StringComparer.Ordinal);
                var hotOnly = _hot.Count(h => !bySession[h.Session].Any(b =>
                    string.CompareOrdinal(h.Position, b.First.ToString()) >= 0 && string.CompareOrdinal(h.Position, b.Last.ToString()) <= 0));
                return new AgentMemoryCounts(_state, hotOnly + Batches.Sum(b => (long)b.Count), Interlocked.Read(ref _objects));
            }
        }

        private static ColdBatch? TryReadBatch(Dictionary<string, AttributeValue> item)
        {
            try
            {
                return ColdBatch.FromItem(item);
            }
            catch (InvalidDataException)
            {
                // A malformed index item is deleted all the same; it names no episodes to count.
                return null;
            }
        }
    }
}
