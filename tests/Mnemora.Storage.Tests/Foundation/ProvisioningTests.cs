using Amazon.DynamoDBv2;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Provisioning;
using Mnemora.Storage.Tests.Infrastructure;
using Npgsql;

namespace Mnemora.Storage.Tests.Foundation;

public sealed class ProvisioningTests(StoreSystem system)
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

        var settings = await StoreHost.SettingsAsync(system.App);
        settings["ConnectionStrings:postgres"] = new NpgsqlConnectionStringBuilder(owner) { Database = database }.ConnectionString;
        settings["Mnemora:Storage:TenantsTable"] = $"prov-tenants-{suffix}";
        settings["Mnemora:Storage:MemoryTable"] = $"prov-memory-{suffix}";
        settings["Mnemora:Storage:EpisodesBucket"] = $"prov-episodes-{suffix}";
        using var first = StoreHost.Build(settings, provision: true);
        using var second = StoreHost.Build(settings, provision: true);

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

        await using var migrated = NpgsqlDataSource.Create(settings["ConnectionStrings:postgres"]!);
        await using var command = migrated.CreateCommand("SELECT count(*) FROM mnemora_migrations");
        var applied = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        Assert.True(applied >= 1, "The migrations were not recorded.");
    }
}
