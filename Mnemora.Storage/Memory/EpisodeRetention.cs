using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Audit;
using Mnemora.Storage.Tenancy;
using Mnemora.Storage.Usage;
using static Mnemora.Storage.Aws.DynamoItems;

namespace Mnemora.Storage.Memory;

/// <summary>What expiring one tenant's old episodes removed: counts only, never content.</summary>
public sealed record RetentionCounts(int Agents, long HotEpisodes, long ColdBatches, long ColdEpisodes, long S3Objects)
{
    public static readonly RetentionCounts None = new(0, 0, 0, 0, 0);

    public bool IsEmpty => HotEpisodes == 0 && ColdBatches == 0 && S3Objects == 0;

    public static RetentionCounts operator +(RetentionCounts a, RetentionCounts b) =>
        new(a.Agents + b.Agents, a.HotEpisodes + b.HotEpisodes, a.ColdBatches + b.ColdBatches, a.ColdEpisodes + b.ColdEpisodes, a.S3Objects + b.S3Objects);
}

/// <summary>
/// Enforces a tenant's <see cref="TenantRecord.RetentionDays"/> on its episodes, hot and cold. Whole UTC days: with
/// <c>retention_days = N</c>, an episode of day D is deleted from day D + N + 1 on (it is kept at least N full days).
/// No Scan: tenants come from the registry partition, their agents from the per-tenant agent registry (and the
/// agent prefixes under the tenant's S3 prefix, as a purge does), and each agent's episodes from Queries on its own
/// partition and a listing of its own prefix <c>{tenant}/{agent}/</c> up to the first kept day. The cold index items go first, so no
/// reader is sent to a deleted object; an object left by a crash in between is still found by the next run's listing.
/// An agent being purged is skipped (the purge deletes everything and uncounts it itself). Each tenant whose
/// episodes expired gets one audit event, <see cref="AuditActions.RetentionExpired"/>, with counts only.
/// </summary>
public sealed class EpisodeRetention(
    IAmazonDynamoDB dynamo,
    IAmazonS3 s3,
    TenantStore tenants,
    TenantAgents agents,
    AgentPurge purge,
    PurgeMarkers purges,
    ColdEpisodeStore cold,
    EpisodeTierStore tier,
    IUsageMeter usage,
    AuditLog audit,
    IOptions<StorageOptions> options,
    TimeProvider time)
{
    /// <summary>The audit event's actor: the worker, not an operator or a key.</summary>
    public const string Actor = "tiering-worker";

    private string Table => options.Value.MemoryTable;

    private string Bucket => options.Value.EpisodesBucket;

    private string? Owner => options.Value.ExpectedBucketOwner;

    /// <summary>The first UTC day (<c>yyyy-MM-dd</c>) still kept under a retention of <paramref name="days"/> days.</summary>
    public string FirstKeptDay(int days) =>
        time.GetUtcNow().UtcDateTime.Date.AddDays(-days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Expires old episodes of every live tenant that has a retention; returns the sum of what was removed.</summary>
    public async Task<RetentionCounts> ExpireAllAsync(string runId, CancellationToken cancellationToken)
    {
        var total = RetentionCounts.None;
        foreach (var tenant in await tenants.ListTenantsAsync(cancellationToken))
        {
            total += await ExpireTenantAsync(tenant, runId, cancellationToken);
        }

        return total;
    }

    /// <summary>Expires the tenant's episodes older than its retention (nothing for a deleted tenant or one without a retention).</summary>
    public async Task<RetentionCounts> ExpireTenantAsync(TenantRecord tenant, string runId, CancellationToken cancellationToken)
    {
        if (tenant.IsDeleted || tenant.RetentionDays is not { } days || !Identifiers.IsValidId(tenant.TenantId))
        {
            return RetentionCounts.None;
        }

        var firstKept = FirstKeptDay(days);
        var agentIds = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var agentId in agents.ListAsync(tenant.TenantId, cancellationToken))
        {
            agentIds.Add(agentId);
        }

        agentIds.UnionWith(await purge.AgentsWithObjectsAsync(tenant.TenantId, cancellationToken));

        var counts = RetentionCounts.None;
        foreach (var agentId in agentIds)
        {
            var agent = await ExpireAgentAsync(tenant.TenantId, agentId, firstKept, cancellationToken);
            counts += agent.IsEmpty ? agent : agent with { Agents = 1 };
        }

        if (!counts.IsEmpty)
        {
            await audit.AppendAsync(tenant.TenantId, AuditActions.RetentionExpired, Actor, runId, "success", new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["retention_days"] = Text(days),
                ["before_day"] = firstKept,
                ["agents"] = Text(counts.Agents),
                ["hot_episodes"] = Text(counts.HotEpisodes),
                ["cold_batches"] = Text(counts.ColdBatches),
                ["cold_episodes"] = Text(counts.ColdEpisodes),
                ["s3_objects"] = Text(counts.S3Objects),
            }, cancellationToken);
        }

        return counts;
    }

    private async Task<RetentionCounts> ExpireAgentAsync(string tenantId, string agentId, string firstKept, CancellationToken cancellationToken)
    {
        var partition = MemoryKeys.Partition(tenantId, agentId);
        if (await purges.IsLiveAsync(partition, cancellationToken))
        {
            return RetentionCounts.None;
        }

        var hot = await ExpireHotAsync(tenantId, partition, firstKept, cancellationToken);
        var (batches, coldEpisodes) = await ExpireIndexAsync(tenantId, partition, firstKept, cancellationToken);
        var objects = await ExpireObjectsAsync(MemoryKeys.ColdAgentPrefix(tenantId, agentId), firstKept, cancellationToken);
        return new RetentionCounts(0, hot, batches, coldEpisodes, objects);
    }

    /// <summary>Hot episodes before the first kept day (their sort keys start with the timestamp), a chunk at a time, uncounting their bytes.</summary>
    private async Task<long> ExpireHotAsync(string tenantId, string partition, string firstKept, CancellationToken cancellationToken)
    {
        long deleted = 0;
        await foreach (var page in tier.OldEpisodesAsync(partition, firstKept, cancellationToken))
        {
            foreach (var chunk in page.Chunk(EpisodeTierStore.DeleteChunk))
            {
                // As the mover does: a purge that began meanwhile deletes and uncounts the rest itself.
                if (deleted > 0 && await purges.IsLiveAsync(partition, cancellationToken))
                {
                    return deleted;
                }

                await tier.DeleteHotAsync(partition, [.. chunk.Select(e => e.Episode)], cancellationToken);
                await usage.RecordAsync(tenantId, new UsageDelta(DynamoBytes: -chunk.Sum(e => e.ItemBytes)), cancellationToken);
                deleted += chunk.Length;
            }
        }

        return deleted;
    }

    /// <summary>Cold index items whose batch began before the first kept day (a batch holds one day); whoever removes one uncounts its bytes.</summary>
    private async Task<(long Batches, long Episodes)> ExpireIndexAsync(string tenantId, string partition, string firstKept, CancellationToken cancellationToken)
    {
        var expired = new List<ColdBatch>();
        var request = new QueryRequest
        {
            TableName = Table,
            KeyConditionExpression = "pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues = new()
            {
                [":pk"] = S(partition),
                [":from"] = S(MemoryKeys.ColdPrefix),
                // "COLD#{day}" sorts before every position of that day, so this bound excludes the first kept day.
                [":to"] = S(MemoryKeys.ColdPrefix + firstKept),
            },
            ConsistentRead = true,
        };
        do
        {
            var response = await dynamo.QueryAsync(request, cancellationToken);
            expired.AddRange((response.Items ?? []).Select(ColdBatch.FromItem));
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });

        long batches = 0, episodes = 0;
        foreach (var batch in expired)
        {
            if (await cold.DeleteIndexAsync(partition, batch, cancellationToken))
            {
                await usage.RecordAsync(tenantId, new UsageDelta(S3Bytes: -batch.Bytes), cancellationToken);
                batches++;
                episodes += batch.Count;
            }
        }

        return (batches, episodes);
    }

    /// <summary>
    /// Every object under the agent's day prefixes before the first kept day. Keys list in order and the day comes
    /// first (<c>{tenant}/{agent}/{day}/…</c>), so the listing stops at the first kept day's first object.
    /// </summary>
    private async Task<long> ExpireObjectsAsync(string agentPrefix, string firstKept, CancellationToken cancellationToken)
    {
        long deleted = 0;
        var request = new ListObjectsV2Request { BucketName = Bucket, ExpectedBucketOwner = Owner, Prefix = agentPrefix, MaxKeys = 1000 };
        ListObjectsV2Response response;
        do
        {
            response = await s3.ListObjectsV2Async(request, cancellationToken);
            var listed = (response.S3Objects ?? []).Select(o => o.Key).ToList();
            var keys = listed.TakeWhile(k => string.CompareOrdinal(k, agentPrefix.Length, firstKept, 0, firstKept.Length) < 0).ToList();
            if (keys.Count > 0)
            {
                var result = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = Bucket,
                    ExpectedBucketOwner = Owner,
                    Objects = [.. keys.Select(k => new KeyVersion { Key = k })],
                    Quiet = true,
                }, cancellationToken);
                if (result.DeleteErrors is { Count: > 0 } errors)
                {
                    throw new InvalidOperationException($"S3 refused to delete {errors.Count} objects under {agentPrefix} ({errors[0].Code}).");
                }

                deleted += keys.Count;
            }

            if (keys.Count < listed.Count)
            {
                break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);

        return deleted;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
