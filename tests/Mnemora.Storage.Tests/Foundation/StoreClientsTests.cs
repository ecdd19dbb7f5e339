using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Semantic;
using Mnemora.Storage.Tests.Infrastructure;
using Npgsql;

namespace Mnemora.Storage.Tests.Foundation;

/// <summary>The API's own store clients, configured from the AppHost's connection strings, reach every store.</summary>
public sealed class StoreClientsTests(StoreSystem system)
{
    [Fact]
    public async Task WriteAndReadOneItemInEachStore()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var host = await StoreHost.CreateAsync(system.App, cancellationToken);
        var options = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var marker = Guid.NewGuid().ToString("N");

        var dynamo = host.Services.GetRequiredService<IAmazonDynamoDB>();
        var key = new Dictionary<string, AttributeValue>
        {
            ["pk"] = new($"foundation-test#{marker}"),
            ["sk"] = new("PROBE"),
        };
        await dynamo.PutItemAsync(new PutItemRequest { TableName = options.MemoryTable, Item = new(key) { ["value"] = new(marker) } }, cancellationToken);
        var item = await dynamo.GetItemAsync(new GetItemRequest { TableName = options.MemoryTable, Key = key, ConsistentRead = true }, cancellationToken);
        Assert.Equal(marker, item.Item["value"].S);
        await dynamo.DeleteItemAsync(options.MemoryTable, key, cancellationToken);

        var s3 = host.Services.GetRequiredService<IAmazonS3>();
        var objectKey = $"foundation-test/{marker}.txt";
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = options.EpisodesBucket, Key = objectKey, ContentBody = marker, UseChunkEncoding = false }, cancellationToken);
        using (var response = await s3.GetObjectAsync(options.EpisodesBucket, objectKey, cancellationToken))
        using (var reader = new StreamReader(response.ResponseStream))
        {
            Assert.Equal(marker, await reader.ReadToEndAsync(cancellationToken));
        }

        await s3.DeleteObjectAsync(options.EpisodesBucket, objectKey, cancellationToken);

        // PostgreSQL as the services reach it: the tenant role, in a tenant-scoped transaction.
        var postgres = host.Services.GetRequiredService<TenantDatabase>();
        var (echo, distance) = await postgres.ExecuteAsync($"foundation-{marker}", async (connection, transaction, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT @marker::text, '[1,2,3]'::vector <=> '[1,2,3]'::vector", connection, transaction);
            command.Parameters.AddWithValue("marker", marker);
            await using var reader = await command.ExecuteReaderAsync(ct);
            Assert.True(await reader.ReadAsync(ct));
            return (reader.GetString(0), reader.GetDouble(1));
        }, cancellationToken);
        Assert.Equal(marker, echo);
        Assert.Equal(0d, distance);
    }
}
