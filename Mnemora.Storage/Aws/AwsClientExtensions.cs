using Microsoft.Extensions.Configuration;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mnemora.Storage.Aws;

/// <summary>Registers the AWS store clients the way Aspire client integrations do: one call, configured from a connection string.</summary>
public static class AwsClientExtensions
{
    // A store that is down must fail a request quickly rather than hold it; routes answer 503. A store that
    // accepts connections but does not answer, or answers only in part, costs a request its timeout ×
    // StoreTimeoutOptions.Attempts: each attempt's timeout covers the whole answer (WholeAnswerHttpClientFactory).
    private const int MaxErrorRetry = StoreTimeoutOptions.Attempts - 1;

    public static IHostApplicationBuilder AddMnemoraDynamoDb(this IHostApplicationBuilder builder, string connectionName)
    {
        var connection = StoreConnectionString.Parse(connectionName, builder.Configuration.GetConnectionString(connectionName));
        builder.AddStoreTimeouts();

        builder.Services.AddSingleton<IAmazonDynamoDB>(services =>
        {
            var timeouts = services.GetRequiredService<IOptions<StoreTimeoutOptions>>().Value;
            var config = new AmazonDynamoDBConfig
            {
                Timeout = timeouts.DynamoDbTimeout,
                MaxErrorRetry = MaxErrorRetry,
                RetryMode = RequestRetryMode.Standard,
                HttpClientFactory = new WholeAnswerHttpClientFactory("dynamodb"),
            };
            Configure(config, connection);
            return new AmazonDynamoDBClient(Credentials(connection), config);
        });
        builder.Services.AddHealthChecks().AddCheck<DynamoDbHealthCheck>("dynamodb", tags: [StoreHealth.Tag], timeout: StoreHealth.Timeout);
        return builder;
    }

    public static IHostApplicationBuilder AddMnemoraS3(this IHostApplicationBuilder builder, string connectionName)
    {
        var connection = StoreConnectionString.Parse(connectionName, builder.Configuration.GetConnectionString(connectionName));
        builder.AddStoreTimeouts();

        builder.Services.AddSingleton<IAmazonS3>(services =>
        {
            var config = new AmazonS3Config
            {
                Timeout = services.GetRequiredService<IOptions<StoreTimeoutOptions>>().Value.S3Timeout,
                MaxErrorRetry = MaxErrorRetry,
                RetryMode = RequestRetryMode.Standard,
                HttpClientFactory = new WholeAnswerHttpClientFactory("s3"),
                // Path-style and checksums only when required: what S3-compatible emulators accept, harmless on S3.
                ForcePathStyle = true,
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            };
            Configure(config, connection);
            return new AmazonS3Client(Credentials(connection), config);
        });
        builder.Services.AddHealthChecks().AddCheck<S3HealthCheck>("s3", tags: [StoreHealth.Tag], timeout: StoreHealth.Timeout);
        return builder;
    }

    /// <summary>Binds and validates <see cref="StoreTimeoutOptions"/> once, whichever client registers first.</summary>
    private static void AddStoreTimeouts(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(IValidateOptions<StoreTimeoutOptions>)))
        {
            return;
        }

        builder.Services.AddOptions<StoreTimeoutOptions>()
            .BindConfiguration(StoreTimeoutOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
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
