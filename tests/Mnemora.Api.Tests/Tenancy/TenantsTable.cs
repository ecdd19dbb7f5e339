using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage;
using Mnemora.Storage.Usage;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Tenancy;

/// <summary>The tenants table read directly, as the tests' independent witness of what the API stored.</summary>
public sealed class TenantsTable(IHost host) : IDisposable
{
    private IAmazonDynamoDB Dynamo => host.Services.GetRequiredService<IAmazonDynamoDB>();

    private string Name => host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.TenantsTable;

    public static async Task<TenantsTable> OpenAsync(MnemoraApp system) =>
        new(await StoreHost.CreateAsync(system.App, TestContext.Current.CancellationToken));

    /// <summary>The usage meter the memory features record into, on the same table.</summary>
    public IUsageMeter UsageMeter => host.Services.GetRequiredService<IUsageMeter>();

    /// <summary>Writes the counters the meter added up in memory, as its host does every second.</summary>
    public Task FlushUsageAsync(CancellationToken cancellationToken) => host.Services.GetRequiredService<DynamoUsageMeter>().FlushAsync(cancellationToken);

    /// <summary>Every item of one partition (a Query naming the full partition key).</summary>
    public async Task<IReadOnlyList<Dictionary<string, AttributeValue>>> PartitionAsync(string pk, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var response = await Dynamo.QueryAsync(new QueryRequest
            {
                TableName = Name,
                KeyConditionExpression = "pk = :pk",
                ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = pk } },
                ExclusiveStartKey = start,
                ConsistentRead = true,
            }, cancellationToken);
            items.AddRange(response.Items ?? []);
            start = response.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return items;
    }

    /// <summary>The tenant's calls counted today, read from its day counter.</summary>
    public async Task<long> CallsTodayAsync(string tenantId, CancellationToken cancellationToken)
    {
        var response = await Dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = Name,
            Key = new()
            {
                ["pk"] = new AttributeValue { S = $"TENANT#{tenantId}" },
                ["sk"] = new AttributeValue { S = "USAGE#DAY#" + UtcDay.Today() },
            },
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { } item && item.TryGetValue("calls", out var calls) ? long.Parse(calls.N, CultureInfo.InvariantCulture) : 0;
    }

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(key)));

    public void Dispose() => host.Dispose();
}
