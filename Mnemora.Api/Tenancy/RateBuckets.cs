using System.Threading.RateLimiting;

namespace Mnemora.Api.Tenancy;

/// <summary>A token bucket's size: at most <see cref="Burst"/> tokens, one more every <see cref="RefillPeriod"/>.</summary>
internal readonly record struct BucketShape(int Burst, TimeSpan RefillPeriod)
{
    public static BucketShape PerSecond(int burst, int tokensPerSecond) => new(burst, TimeSpan.FromSeconds(1.0 / tokensPerSecond));
}

/// <summary>What a bucket gave: <see cref="Granted"/> tokens, or when none, how long until the next one.</summary>
internal readonly record struct BucketTake(int Granted, TimeSpan RetryAfter);

/// <summary>
/// Named token buckets (a client's key lookups, a tenant's calls): in this process with one API
/// replica, in Redis with several, so that every replica spends from the same bucket.
/// </summary>
internal interface IRateBuckets
{
    /// <summary>
    /// Takes up to <paramref name="wanted"/> whole tokens (as many as there are, none when there is not one);
    /// with <paramref name="wanted"/> 0 it only tells whether a token is there (Granted 1) or not.
    /// </summary>
    ValueTask<BucketTake> TakeAsync(string name, BucketShape shape, int wanted, CancellationToken cancellationToken);
}

/// <summary>The buckets of one replica, on ASP.NET Core's token bucket limiter (idle buckets are dropped).</summary>
internal sealed class LocalRateBuckets : IRateBuckets, IDisposable
{
    private readonly PartitionedRateLimiter<(string Name, BucketShape Shape)> _buckets =
        PartitionedRateLimiter.Create<(string Name, BucketShape Shape), (string, BucketShape)>(request =>
            RateLimitPartition.GetTokenBucketLimiter(request, key => new TokenBucketRateLimiterOptions
            {
                TokenLimit = key.Item2.Burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = key.Item2.RefillPeriod,
                AutoReplenishment = false,
                QueueLimit = 0,
            }));

    public ValueTask<BucketTake> TakeAsync(string name, BucketShape shape, int wanted, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Take(name, shape, wanted));

    public BucketTake Take(string name, BucketShape shape, int wanted)
    {
        var bucket = (name, shape);
        if (wanted == 0)
        {
            // Whole tokens only: the bucket refills in fractions, and asking for zero permits succeeds on any fraction.
            return _buckets.GetStatistics(bucket) is { CurrentAvailablePermits: < 1 } ? new BucketTake(0, shape.RefillPeriod) : new BucketTake(1, TimeSpan.Zero);
        }

        var available = _buckets.GetStatistics(bucket)?.CurrentAvailablePermits ?? shape.Burst;
        var asked = (int)Math.Clamp(available, 1, wanted);
        using var lease = _buckets.AttemptAcquire(bucket, asked);
        return lease.IsAcquired ? new BucketTake(asked, TimeSpan.Zero)
            : new BucketTake(0, lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : shape.RefillPeriod);
    }

    public void Dispose() => _buckets.Dispose();
}
