using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Aws;
using Mnemora.Storage.Postgres;

namespace Mnemora.Storage.Provisioning;

/// <summary>
/// Creates the tables, bucket and schema at start, each idempotently so that two replicas may
/// start at once. Each store is retried on its own until it answers: one store being down at start
/// does not hold back the others, nor the API's start.
/// </summary>
public sealed partial class StoreProvisioner(
    IAmazonDynamoDB dynamo,
    IAmazonS3 s3,
    PostgresMigrator migrator,
    IOptions<StorageOptions> options,
    ILogger<StoreProvisioner> logger) : BackgroundService
{
    private static readonly ActivitySource s_activitySource = new("Mnemora.Provisioning");
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        RetryAsync("dynamodb", ProvisionDynamoDbAsync, stoppingToken),
        RetryAsync("s3", ProvisionS3Async, stoppingToken),
        RetryAsync("postgres", migrator.MigrateAsync, stoppingToken));

    /// <summary>Provisions every store once, without retrying: what each replica does at start.</summary>
    public Task ProvisionOnceAsync(CancellationToken cancellationToken) => Task.WhenAll(
        ProvisionDynamoDbAsync(cancellationToken),
        ProvisionS3Async(cancellationToken),
        migrator.MigrateAsync(cancellationToken));

    private async Task RetryAsync(string store, Func<CancellationToken, Task> provision, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var activity = s_activitySource.StartActivity($"provision {store}");
            try
            {
                await provision(stoppingToken);
                LogProvisioned(store);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                LogRetrying(ex, store, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxBackoff.Ticks));
            }
        }
    }

    private async Task ProvisionDynamoDbAsync(CancellationToken cancellationToken)
    {
        foreach (var request in DynamoTables.All(options.Value))
        {
            try
            {
                await dynamo.CreateTableAsync(request, cancellationToken);
            }
            catch (ResourceInUseException)
            {
                // Exists already (or another replica is creating it).
            }

            // New tables are briefly CREATING; nothing may use them before ACTIVE.
            while ((await dynamo.DescribeTableAsync(request.TableName, cancellationToken)).Table.TableStatus != TableStatus.ACTIVE)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private async Task ProvisionS3Async(CancellationToken cancellationToken)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = options.Value.EpisodesBucket }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Provisioned {Store}")]
    private partial void LogProvisioned(string store);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Could not provision {Store} yet; retrying in {Delay}")]
    private partial void LogRetrying(Exception exception, string store, TimeSpan delay);
}
