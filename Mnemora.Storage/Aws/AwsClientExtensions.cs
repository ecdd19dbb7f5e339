using Microsoft.Extensions.Configuration;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Mnemora.Storage.Aws;

/// <summary>Registers the AWS store clients the way Aspire client integrations do: one call, configured from a connection string.</summary>
public static class AwsClientExtensions
{
    // A store that is down must fail a request quickly rather than hold it; routes answer 503. A store that
    // accepts connections but does not answer costs a request (timeout + retry) × 2 attempts: about 3 s for
    // DynamoDB (single items, milliseconds when well), about 4 s for S3 (cold batches of up to 8 MB).
    private static readonly TimeSpan s_dynamoTimeout = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan s_s3Timeout = TimeSpan.FromSeconds(2);
    private const int MaxErrorRetry = 1;

    public static IHostApplicationBuilder AddMnemoraDynamoDb(this IHostApplicationBuilder builder, string connectionName)
    {
        var connection = StoreConnectionString.Parse(connectionName, builder.Configuration.GetConnectionString(connectionName));
        var config = new AmazonDynamoDBConfig { Timeout = s_dynamoTimeout, MaxErrorRetry = MaxErrorRetry, RetryMode = RequestRetryMode.Standard };
        Configure(config, connection);

        builder.Services.AddSingleton<IAmazonDynamoDB>(_ => new AmazonDynamoDBClient(Credentials(connection), config));
        builder.Services.AddHealthChecks().AddCheck<DynamoDbHealthCheck>("dynamodb", tags: [StoreHealth.Tag], timeout: StoreHealth.Timeout);
        return builder;
    }

    public static IHostApplicationBuilder AddMnemoraS3(this IHostApplicationBuilder builder, string connectionName)
    {
        var connection = StoreConnectionString.Parse(connectionName, builder.Configuration.GetConnectionString(connectionName));
        var config = new AmazonS3Config
        {
            Timeout = s_s3Timeout,
            MaxErrorRetry = MaxErrorRetry,
            RetryMode = RequestRetryMode.Standard,
            // Path-style and checksums only when required: what S3-compatible emulators accept, harmless on S3.
            ForcePathStyle = true,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        Configure(config, connection);

        builder.Services.AddSingleton<IAmazonS3>(_ => new AmazonS3Client(Credentials(connection), config));
        builder.Services.AddHealthChecks().AddCheck<S3HealthCheck>("s3", tags: [StoreHealth.Tag], timeout: StoreHealth.Timeout);
        return builder;
    }

    private static void Configure(ClientConfig config, StoreConnectionString connection)
    {
        if (connection.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = connection.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(connection.Region);
        }
    }

    private static AWSCredentials Credentials(StoreConnectionString connection) =>
        connection is { AccessKey: { } accessKey, SecretKey: { } secretKey }
            ? new BasicAWSCredentials(accessKey, secretKey)
            : DefaultAWSCredentialsIdentityResolver.GetCredentials();
}
