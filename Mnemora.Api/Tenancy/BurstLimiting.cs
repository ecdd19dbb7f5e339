using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Mnemora.Api.Http;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// A token bucket: <see cref="RequestsPerSecond"/> refill, at most <see cref="Burst"/> calls at once;
/// past that, up to <see cref="Queue"/> calls wait (oldest first) for the next tokens, and the rest are refused.
/// </summary>
public sealed class TierBurst
{
    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; }

    [Range(1, 10_000_000)]
    public int Burst { get; set; }

    /// <summary>Calls held for a token rather than refused; keep it near half a second's refill, so none waits long.</summary>
    [Range(0, 100_000)]
    public int Queue { get; set; }
}

/// <summary>
/// Per-tenant burst limits, bound from <c>Mnemora:BurstLimits</c>: one token bucket per tenant,
/// sized by its tier, so that one tenant's flood cannot starve the others. The daily quota
/// (<see cref="DailyQuotaMiddleware"/>) is a separate, later check.
/// </summary>
public sealed class BurstLimitOptions
{
    public const string SectionName = "Mnemora:BurstLimits";

    /// <summary>Off only where a test floods one tenant on purpose to measure something else (the daily quota).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long a refused call is held before its 429 (less than its Retry-After, so a client that waits as told loses
    /// nothing): a client looping on refusals over many connections is slowed to a few per connection a second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan RefusalDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TierBurst Free { get; set; } = new() { RequestsPerSecond = 10, Burst = 20, Queue = 5 };

    public TierBurst Starter { get; set; } = new() { RequestsPerSecond = 25, Burst = 50, Queue = 12 };

    public TierBurst Pro { get; set; } = new() { RequestsPerSecond = 50, Burst = 100, Queue = 25 };

    public TierBurst Scale { get; set; } = new() { RequestsPerSecond = 100, Burst = 200, Queue = 50 };

    public TierBurst For(TenantTier tier) => tier switch
    {
        TenantTier.Free => Free,
        TenantTier.Starter => Starter,
        TenantTier.Pro => Pro,
        TenantTier.Scale => Scale,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Unknown tier."),
    };

    internal bool TiersAreValid() =>
        Enum.GetValues<TenantTier>().All(tier => Validator.TryValidateObject(For(tier), new ValidationContext(For(tier)), null, validateAllProperties: true));
}

/// <summary>
/// The tenant burst limit on ASP.NET Core's rate limiter: a <see cref="PartitionedRateLimiter"/>
/// keyed by the authenticated tenant (and its tier), run after authentication and before the daily
/// quota, so a call refused here is not counted against the day.
/// </summary>
internal static class BurstLimiting
{
    public const string Policy = "tenant-burst";

    public static IHostApplicationBuilder AddBurstLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BurstLimitOptions>()
            .BindConfiguration(BurstLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(options => options.TiersAreValid(), $"{BurstLimitOptions.SectionName}: every tier needs RequestsPerSecond >= 1 and Burst >= 1.")
            .ValidateOnStart();

        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(Policy, Partition);
            options.OnRejected = RejectAsync;
        });
        return builder;
    }

    private static RateLimitPartition<string> Partition(HttpContext context)
    {
        var limits = context.RequestServices.GetRequiredService<IOptions<BurstLimitOptions>>().Value;
        var tenant = context.RequestServices.GetRequiredService<TenantContext>();
        if (!limits.Enabled || !tenant.IsAuthenticated)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var tier = limits.For(tenant.Tier);
        // The tier is part of the key: a tenant moved to another tier gets that tier's bucket at once.
        var key = $"{tenant.TenantId}\n{TenantTiers.Name(tenant.Tier)}";
        var buckets = context.RequestServices.GetRequiredService<IRateBuckets>();
        if (buckets is not LocalRateBuckets)
        {
            // Several replicas: the tenant's bucket is shared (see SharedBurstLimiter).
            var time = context.RequestServices.GetRequiredService<TimeProvider>();
            return RateLimitPartition.Get(key, _ => new SharedBurstLimiter(buckets, RateBucketExtensions.BucketName("burst", key), tier, time));
        }

        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = tier.Burst,
            TokensPerPeriod = tier.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            // Refilled continuously (by elapsed time) by the partitioned limiter's timer, not a second at a time.
            AutoReplenishment = false,
            // A client that keeps many calls open is paced (its calls wait a moment) rather than answered with 429s as fast
            // as it can send them: that churn would cost the other tenants more than serving at the tier's rate.
            QueueLimit = tier.Queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var limits = context.RequestServices.GetRequiredService<IOptions<BurstLimitOptions>>().Value;
        await Task.Delay(limits.RefusalDelay, cancellationToken);
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);

        var tenant = context.RequestServices.GetRequiredService<TenantContext>();
        var tier = limits.For(tenant.Tier);
        context.Response.Headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"burst\";q={tier.Burst};w=1");
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Too many requests at once: the {TenantTiers.Name(tenant.Tier)} tier allows {tier.RequestsPerSecond} per second in bursts of up to {tier.Burst}. Retry after {seconds} s.");
        await new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, message).ExecuteAsync(context);
    }
}
