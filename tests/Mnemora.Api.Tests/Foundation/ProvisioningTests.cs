using Amazon.DynamoDBv2;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage;
using Mnemora.Storage.Provisioning;
using Npgsql;

namespace Mnemora.Api.Tests.Foundation;

public sealed class ProvisioningTests(MnemoraApp system)
{
    [Fact]
    public async Task TwoReplicasProvisioningFreshStoresAtOnceBothSucceed()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var database = $"prov_{suffix}";
        var owner = await system.ConnectionStringAsync("postgres");
        await using (var admin = NpgsqlDataSource.Create(owner))
        {
            await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync(cancellationToken);
        }

        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = new NpgsqlConnectionStringBuilder(owner) { Database = database }.ConnectionString,
            ["ConnectionStrings:dynamodb"] = await system.ConnectionStringAsync("dynamodb"),
            ["ConnectionStrings:s3"] = await system.ConnectionStringAsync("s3"),
            ["Mnemora:Storage:TenantsTable"] = $"prov-tenants-{suffix}",
            ["Mnemora:Storage:MemoryTable"] = $"prov-memory-{suffix}",
            ["Mnemora:Storage:EpisodesBucket"] = $"prov-episodes-{suffix}",
        };
        using var first = Replica(settings);
        using var second = Replica(settings);

        await Task.WhenAll(
            first.Services.GetRequiredService<StoreProvisioner>().ProvisionOnceAsync(cancellationToken),
            second.Services.GetRequiredService<StoreProvisioner>().ProvisionOnceAsync(cancellationToken));

        var options = first.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var dynamo = first.Services.GetRequiredService<IAmazonDynamoDB>();
        foreach (var table in (string[])[options.TenantsTable, options.MemoryTable])
        {
            Assert.Equal(TableStatus.ACTIVE, (await dynamo.DescribeTableAsync(table, cancellationToken)).Table.TableStatus);
        }

        await first.Services.GetRequiredService<IAmazonS3>().ListObjectsV2Async(new ListObjectsV2Request { BucketName = options.EpisodesBucket }, cancellationToken);

        await using var command = first.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM mnemora_migrations");
        var applied = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        Assert.True(applied >= 1, "The migrations were not recorded.");
    }

    private static IHost Replica(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddMnemoraStorage(provision: true);
        builder.Services.AddSingleton<StoreProvisioner>();
        return builder.Build();
    }
}
