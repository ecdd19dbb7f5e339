using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Aws;

namespace Mnemora.Storage.Provisioning;

/// <summary>
/// Creates the tables, bucket and schema at start, each idempotently so that two replicas may
/// start at once. Each store is retried on its own until it answers: one store being down at start
/// does not hold back the others, nor the API's start. A bucket that is not this account's stops the
/// start instead. PostgreSQL is provisioned only where it is registered (the API; the worker has none).
/// </summary>
public sealed partial class StoreProvisioner(
    IAmazonDynamoDB dynamo,
    IAmazonS3 s3,
    IOptions<StorageOptions> options,
    ILogger<StoreProvisioner> logger,
    PostgresProvisioner? postgres = null) : BackgroundService
{
    private static readonly ActivitySource s_activitySource = new("Mnemora.Provisioning");
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        RetryAsync("dynamodb", ProvisionDynamoDbAsync, stoppingToken),
        RetryAsync("s3", ProvisionS3Async, stoppingToken),
        postgres is null ? Task.CompletedTask : RetryAsync("postgres", postgres.ProvisionAsync, stoppingToken));

    /// <summary>Provisions every store once, without retrying: what each replica does at start.</summary>
    public Task ProvisionOnceAsync(CancellationToken cancellationToken) => Task.WhenAll(
        ProvisionDynamoDbAsync(cancellationToken),
        ProvisionS3Async(cancellationToken),
        postgres?.ProvisionAsync(cancellationToken) ?? Task.CompletedTask);

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
            catch (BucketNotOwnedException ex)
            {
                // Not a store being slow: retrying cannot help, and serving would write into someone else's bucket.
                activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                LogRefused(ex, store, ex.Message);
                throw;
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
        var bucket = options.Value.EpisodesBucket;
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "BucketAlreadyOwnedByYou")
        {
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "BucketAlreadyExists")
        {
            // S3 says this of a name another account holds; a one-account emulator says it of our own bucket
            // too. Only the account's own bucket list tells them apart: S3 lists only the caller's buckets.
            if (!await IsListedAsOursAsync(bucket, cancellationToken))
            {
                throw new BucketNotOwnedException(bucket,
                    $"The S3 bucket '{bucket}' already exists and belongs to another account. Set {StorageOptions.SectionName}:EpisodesBucket to a name of your own.");
            }
        }

        if (options.Value.ExpectedBucketOwner is { } owner)
        {
            try
            {
                await s3.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket, ExpectedBucketOwner = owner }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.Forbidden)
            {
                throw new BucketNotOwnedException(bucket,
                    $"The S3 bucket '{bucket}' is not owned by account {owner} ({StorageOptions.SectionName}:ExpectedBucketOwner), or this account may not use it.");
            }
        }
    }

    private async Task<bool> IsListedAsOursAsync(string bucket, CancellationToken cancellationToken)
    {
        var request = new ListBucketsRequest { Prefix = bucket };
        do
        {
            var response = await s3.ListBucketsAsync(request, cancellationToken);
            if (response.Buckets?.Any(b => b.BucketName == bucket) == true)
            {
                return true;
            }

            request.ContinuationToken = response.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));

        return false;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Provisioned {Store}")]
    private partial void LogProvisioned(string store);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Could not provision {Store} yet; retrying in {Delay}")]
    private partial void LogRetrying(Exception exception, string store, TimeSpan delay);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Refused to provision {Store}: {Reason}")]
    private partial void LogRefused(Exception exception, string store, string reason);
}
