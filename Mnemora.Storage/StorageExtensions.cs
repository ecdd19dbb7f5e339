using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Storage.Aws;
using Mnemora.Storage.Postgres;
using Mnemora.Storage.Provisioning;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage;

public static class StorageExtensions
{
    /// <summary>Connection names the AppHost gives the stores.</summary>
    public const string PostgresConnection = "postgres";
    public const string DynamoDbConnection = "dynamodb";
    public const string S3Connection = "s3";

    /// <summary>Registers the three stores' clients, health checks and options; <paramref name="provision"/> also creates their schema at start.</summary>
    public static IHostApplicationBuilder AddMnemoraStorage(this IHostApplicationBuilder builder, bool provision)
    {
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddMnemoraPostgres(PostgresConnection);
        builder.AddMnemoraDynamoDb(DynamoDbConnection);
        builder.AddMnemoraS3(S3Connection);
        builder.Services.AddMnemoraTenancyStores();

        if (provision)
        {
            builder.Services.AddSingleton<PostgresMigrator>();
            builder.Services.AddHostedService<StoreProvisioner>();
        }

        return builder;
    }
}
