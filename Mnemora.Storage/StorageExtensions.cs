using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Storage.Aws;
using Mnemora.Storage.Provisioning;
using Mnemora.Storage.Usage;

namespace Mnemora.Storage;

public static class StorageExtensions
{
    /// <summary>Connection names the AppHost gives the stores.</summary>
    public const string PostgresConnection = "postgres";
    public const string DynamoDbConnection = "dynamodb";
    public const string S3Connection = "s3";

    /// <summary>
    /// Registers DynamoDB's and S3's clients, health checks and options, and the tenants table's stores;
    /// <paramref name="provision"/> also creates the tables and bucket at start (and PostgreSQL's schema
    /// where <see cref="Semantic.SemanticStorageExtensions.AddMnemoraSemanticStore"/> registered it).
    /// PostgreSQL is not part of this: the tiering worker needs none.
    /// </summary>
    public static IHostApplicationBuilder AddMnemoraStorage(this IHostApplicationBuilder builder, bool provision)
    {
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.AddMnemoraDynamoDb(DynamoDbConnection);
        builder.AddMnemoraS3(S3Connection);
        builder.Services.AddMnemoraTenancyStores();

        if (provision)
        {
            builder.Services.AddHostedService<StoreProvisioner>();
        }

        return builder;
    }
}
