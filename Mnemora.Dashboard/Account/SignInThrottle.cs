using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Mnemora.Dashboard.Account;

/// <summary>How many wrong passwords one client may try; bound from <c>Mnemora:SignIn</c>.</summary>
public sealed class SignInOptions
{
    public const string SectionName = "Mnemora:SignIn";

    /// <summary>Wrong passwords one client (IP address, as a trusted proxy forwarded it) may send at once.</summary>
    [Range(1, 10_000)]
    public int AttemptBurst { get; set; } = 10;

    /// <summary>The time in which a client earns one more attempt (6 s: 10 a minute).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RefillPeriod { get; set; } = TimeSpan.FromSeconds(6);
}

/// <summary>
/// Wrong sign-in passwords per client, in a token bucket: past the burst every attempt is refused
/// (the right password too, or the answer would tell a guesser which refused guess was right).
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _attempts;
    private readonly SignInOptions _options;

    public SignInThrottle(IOptions<SignInOptions> options)
    {
        _options = options.Value;
        _attempts = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.AttemptBurst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = _options.RefillPeriod,
            AutoReplenishment = false,
            QueueLimit = 0,
        }));
    }

    /// <summary>Null when the client may try a password; otherwise how long it must wait.</summary>
    public TimeSpan? WaitBeforeAttempt(HttpContext context)
    {
        // Whole tokens only: the bucket refills in fractions, and asking for zero permits succeeds on any fraction.
        return _attempts.GetStatistics(ClientOf(context)) is { CurrentAvailablePermits: < 1 } ? _options.RefillPeriod : null;
    }

    /// <summary>Spends one of the client's wrong passwords; null when one was left, else how long to wait.</summary>
    public TimeSpan? ChargeWrongPassword(HttpContext context)
    {
        using var lease = _attempts.AttemptAcquire(ClientOf(context));
        return lease.IsAcquired ? null : Wait(lease);
    }

    public void Dispose() => _attempts.Dispose();

    private TimeSpan Wait(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : _options.RefillPeriod;

    private static string ClientOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
