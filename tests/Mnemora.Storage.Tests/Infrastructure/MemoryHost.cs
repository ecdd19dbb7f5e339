using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Memory;

namespace Mnemora.Storage.Tests.Infrastructure;

/// <summary>The memory stores, as the API and the worker register them, pointed at a running system's stores; plus raw looks at what is stored.</summary>
internal sealed class MemoryHost : IDisposable
{
    private readonly IHost _host;

    private MemoryHost(IHost host) => _host = host;

    public StateStore State => Get<StateStore>();

    public EpisodeStore Episodes => Get<EpisodeStore>();

    public EpisodeMover Mover => Get<EpisodeMover>();

    public IAmazonDynamoDB Dynamo => Get<IAmazonDynamoDB>();

    public IAmazonS3 S3 => Get<IAmazonS3>();

    public StorageOptions Options => Get<IOptions<StorageOptions>>().Value;

    /// <summary>The stores pointed at <paramref name="app"/>'s; <paramref name="time"/> gives them their clock (the system's when null).</summary>
    public static async Task<MemoryHost> CreateAsync(DistributedApplication app, TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = await app.GetConnectionStringAsync("postgres"),
            ["ConnectionStrings:dynamodb"] = await app.GetConnectionStringAsync("dynamodb"),
            ["ConnectionStrings:s3"] = await app.GetConnectionStringAsync("s3"),
            // A test's own look at the stores waits as long as a loaded two-core machine needs (the systems do too);
            // the production bounds are what the store-fault and silent-store suites test, through the API.
            [$"{StoreTimeoutOptions.SectionName}:{nameof(StoreTimeoutOptions.DynamoDbTimeout)}"] = "00:00:15",
            [$"{StoreTimeoutOptions.SectionName}:{nameof(StoreTimeoutOptions.S3Timeout)}"] = "00:00:20",
        });
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.AddMnemoraStorage(provision: false);
        builder.Services.AddMemoryStores();
        return new MemoryHost(builder.Build());
    }

    /// <summary>How many hot episode items the agent has in DynamoDB (one Query on its partition).</summary>
    public async Task<int> HotCountAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var request = new QueryRequest
        {
            TableName = Options.MemoryTable,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new()
            {
                [":pk"] = new AttributeValue($"{tenantId}#{agentId}"),
                [":prefix"] = new AttributeValue(MemoryKeys.EpisodePrefix),
            },
            ConsistentRead = true,
            Select = Select.COUNT,
        };
        var count = 0;
        do
        {
            var response = await Dynamo.QueryAsync(request, cancellationToken);
            count += response.Count ?? 0;
            request.ExclusiveStartKey = response.LastEvaluatedKey;
        }
        while (request.ExclusiveStartKey is { Count: > 0 });

        return count;
    }

    /// <summary>The agent's cold index items (one Query on its partition).</summary>
    public async Task<IReadOnlyList<ColdBatch>> ColdBatchesAsync(string tenantId, string agentId, CancellationToken cancellationToken)
    {
        var response = await Dynamo.QueryAsync(new QueryRequest
        {
            TableName = Options.MemoryTable,
            KeyConditionExpression = "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues = new()
            {
                [":pk"] = new AttributeValue($"{tenantId}#{agentId}"),
                [":prefix"] = new AttributeValue(MemoryKeys.ColdPrefix),
            },
            ConsistentRead = true,
        }, cancellationToken);
        return [.. (response.Items ?? []).Select(ColdBatch.FromItem)];
    }

    /// <summary>Keys of the objects under the agent's S3 prefix.</summary>
    public Task<IReadOnlyList<string>> ColdObjectKeysAsync(string tenantId, string agentId, CancellationToken cancellationToken) =>
        ObjectKeysAsync(MemoryKeys.ColdAgentPrefix(tenantId, agentId), cancellationToken);

    /// <summary>The keys of every object under the prefix.</summary>
    public async Task<IReadOnlyList<string>> ObjectKeysAsync(string prefix, CancellationToken cancellationToken)
    {
        // One key a page, so that the emulator's continuation tokens are exercised too (purge and export page like this).
        var request = new ListObjectsV2Request { BucketName = Options.EpisodesBucket, Prefix = prefix, MaxKeys = 1 };
        var keys = new List<string>();
        ListObjectsV2Response response;
        do
        {
            response = await S3.ListObjectsV2Async(request, cancellationToken);
            keys.AddRange((response.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true && keys.Count < 10_000);

        return keys;
    }

    /// <summary>Every episode of the agent through the store's read path (all pages).</summary>
    public async Task<List<EpisodeRecord>> ReadAllAsync(string tenantId, string agentId, EpisodeQuery query, CancellationToken cancellationToken)
    {
        var all = new List<EpisodeRecord>();
        EpisodePosition? after = null;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = await Episodes.ListAsync(tenantId, agentId, query with { After = after }, cancellationToken);
            all.AddRange(page.Episodes);
            if (page.Next is not { } next)
            {
                return all;
            }

            after = next;
        }

        throw new InvalidOperationException("Paging did not end.");
    }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public void Dispose() => _host.Dispose();
}
