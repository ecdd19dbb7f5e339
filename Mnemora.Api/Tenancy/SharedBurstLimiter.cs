using System.Threading.RateLimiting;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// One tenant's burst limit when several API replicas share its bucket (<see cref="IRateBuckets"/> in
/// Redis): the replica takes a few tokens at a time (a twentieth of the tier's rate per second, at
/// least one; one trip at a time) and hands them out from memory, so a tenant at full rate costs
/// one Redis call per few calls. Tokens are taken from the shared bucket before they are used, so
/// all replicas together never serve more than the bucket allows; a replica's unspent tokens are
/// dropped after a second, so a new burst finds no old tokens beside the bucket's. As with one
/// replica, a call finding no token may wait for the next one (up to the tier's queue of waiting
/// calls) instead of a 429.
/// </summary>
internal sealed class SharedBurstLimiter(IRateBuckets buckets, string bucket, TierBurst tier, TimeProvider time) : RateLimiter
{
    private static readonly TimeSpan s_keepTokens = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestWait = TimeSpan.FromSeconds(1);

    private readonly BucketShape _shape = BucketShape.PerSecond(tier.Burst, tier.RequestsPerSecond);
    private readonly int _batch = Math.Max(1, tier.RequestsPerSecond / 20);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private int _tokens;
    private long _tokensTakenAt;
    private long _lastUsed = time.GetTimestamp();
    private int _active;
    private int _waiting;

    public override TimeSpan? IdleDuration => Volatile.Read(ref _active) > 0 ? null : time.GetElapsedTime(Volatile.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => new() { CurrentAvailablePermits = Volatile.Read(ref _tokens), CurrentQueuedCount = Volatile.Read(ref _waiting) };

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => TryTakeHeld(permitCount) ? Granted.Lease : Refused.Empty;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _active);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                // One trip to the shared bucket at a time: calls arriving together share its tokens instead of each
                // taking a batch (60 calls at once would take 60 batches, more than a burst, and refuse the rest).
                BucketTake take;
                await _fetch.WaitAsync(cancellationToken);
                try
                {
                    if (TryTakeHeld(permitCount))
                    {
                        return Granted.Lease;
                    }

                    take = await buckets.TakeAsync(bucket, _shape, Math.Max(_batch, permitCount), cancellationToken);
                    if (take.Granted >= permitCount)
                    {
                        Hold(take.Granted - permitCount);
                        return Granted.Lease;
                    }
                }
                finally
                {
                    _fetch.Release();
                }

                // Paced rather than refused while few calls wait: the next token is near.
                if (attempt > 0 || take.RetryAfter > s_longestWait || !TryEnterQueue())
                {
                    return new Refused(take.RetryAfter);
                }

                try
                {
                    await Task.Delay(take.RetryAfter, time, cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _waiting);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _lastUsed, time.GetTimestamp());
            Interlocked.Decrement(ref _active);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fetch.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool TryEnterQueue()
    {
        if (Interlocked.Increment(ref _waiting) <= tier.Queue)
        {
            return true;
        }

        Interlocked.Decrement(ref _waiting);
        return false;
    }

    private bool TryTakeHeld(int permitCount)
    {
        lock (_gate)
        {
            Volatile.Write(ref _lastUsed, time.GetTimestamp());
            if (_tokens < permitCount || time.GetElapsedTime(_tokensTakenAt) > s_keepTokens)
            {
                return false;
            }

            _tokens -= permitCount;
            return true;
        }
    }

    private void Hold(int tokens)
    {
        lock (_gate)
        {
            // Tokens older than a second are dropped rather than added to: they belong to a burst that is over.
            _tokens = time.GetElapsedTime(_tokensTakenAt) > s_keepTokens ? tokens : _tokens + tokens;
            _tokensTakenAt = time.GetTimestamp();
        }
    }

    private sealed class Granted : RateLimitLease
    {
        public static readonly Granted Lease = new();

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }

    private sealed class Refused(TimeSpan? retryAfter) : RateLimitLease
    {
        /// <summary>No token held here: the caller then asks the shared bucket (<see cref="RateLimiter.AcquireAsync"/>).</summary>
        public static readonly Refused Empty = new(null);

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
