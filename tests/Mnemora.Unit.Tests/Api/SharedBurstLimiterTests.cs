using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Mnemora.Api.Tenancy;

namespace Mnemora.Unit.Tests.Api;

/// <summary>
/// Two replicas' limiters over one bucket (here the in-process buckets play Redis): together they
/// never serve more than the bucket holds, and a refusal says when to come back.
/// </summary>
public sealed class SharedBurstLimiterTests
{
    [Fact]
    public async Task TwoReplicasTogetherServeOneBurst()
    {
        using var shared = new LocalRateBuckets();
        // One token a second refills: the test's few milliseconds add at most one.
        var tier = new TierBurst { RequestsPerSecond = 1, Burst = 20, Queue = 0 };
        using var first = new SharedBurstLimiter(shared, "burst:t", tier, TimeProvider.System);
        using var second = new SharedBurstLimiter(shared, "burst:t", tier, TimeProvider.System);

        var served = 0;
        RateLimitLease? refusal = null;
        for (var call = 0; call < 60; call++)
        {
            var limiter = call % 2 == 0 ? first : second;
            var lease = limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                lease = await limiter.AcquireAsync(1, TestContext.Current.CancellationToken);
            }

            if (lease.IsAcquired)
            {
                served++;
            }
            else
            {
                refusal ??= lease;
            }
        }

        Assert.InRange(served, 20, 21);
        Assert.NotNull(refusal);
        Assert.True(refusal.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AReplicaTakesSeveralTokensAtOnceAndServesThemFromMemory()
    {
        using var shared = new LocalRateBuckets();
        // 100 a second: a replica takes five tokens per trip to the shared bucket.
        var tier = new TierBurst { RequestsPerSecond = 100, Burst = 200, Queue = 0 };
        var time = new FakeTimeProvider();
        using var limiter = new SharedBurstLimiter(shared, "burst:t", tier, time);

        Assert.False(limiter.AttemptAcquire().IsAcquired);
        Assert.True((await limiter.AcquireAsync(1, TestContext.Current.CancellationToken)).IsAcquired);
        for (var held = 0; held < 4; held++)
        {
            Assert.True(limiter.AttemptAcquire().IsAcquired);
        }

        Assert.False(limiter.AttemptAcquire().IsAcquired);

        // Tokens a replica holds past a second belong to a burst that is over: they are dropped, not served.
        Assert.True((await limiter.AcquireAsync(1, TestContext.Current.CancellationToken)).IsAcquired);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(limiter.AttemptAcquire().IsAcquired);
    }
}
