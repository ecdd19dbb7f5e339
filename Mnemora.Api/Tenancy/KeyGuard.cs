using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Api.Http;

namespace Mnemora.Api.Tenancy;

/// <summary>How many key lookups a client may cost the store; bound from <c>Mnemora:KeyGuard</c>.</summary>
public sealed class KeyGuardOptions
{
    public const string SectionName = "Mnemora:KeyGuard";

    /// <summary>Lookups of keys not yet known to be valid that one client (IP address, an IPv6 /64) may make at once.</summary>
    [Range(1, 1_000_000)]
    public int ClientBurst { get; set; } = 100;

    /// <summary>The time in which a client earns one more lookup (100 ms: 10 a second).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan ClientRefillPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Lookups of unknown keys sharing one display prefix (<c>mnm_</c> + 8), from any clients, at once.</summary>
    [Range(1, 1_000_000)]
    public int PrefixBurst { get; set; } = 10;

    /// <summary>The time in which a prefix earns one more lookup.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan PrefixRefillPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a key once found valid skips the guard (it is still looked up, and revocation still applies).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan KnownKeyDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Networks (CIDR) of reverse proxies whose <c>X-Forwarded-For</c> names the client. Loopback is
    /// always trusted (a proxy on the same host); add a load balancer's subnet here.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];
}

/// <summary>
/// Slows key guessing before it costs the store: a key not in the resolver's cache and not
/// recently found valid needs a token from its client's bucket and from its prefix's bucket
/// before it is looked up. Refused attempts get 429 with <c>Retry-After</c> and cost nothing.
/// Tokens are taken before the lookup, so concurrency cannot overrun a bucket; a valid key's
/// first lookup costs one token too, then it is known and passes freely.
/// </summary>
internal sealed class KeyGuard : IDisposable
{
    public const string MeterName = "Mnemora.Api.Tenancy";
    private const string ClientPrefix = "client:";
    private const string KeyPrefix = "prefix:";
    private const int DisplayPrefixLength = 12;
    private static readonly object s_refusal = new();

    private readonly PartitionedRateLimiter<KeyAttempt> _limiter;
    private readonly MemoryCache _known = new(new MemoryCacheOptions { SizeLimit = 1_000_000 });
    private readonly KeyGuardOptions _options;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _refused;

    public KeyGuard(IOptions<KeyGuardOptions> options, IMeterFactory meters)
    {
        _options = options.Value;
        var client = PartitionedRateLimiter.Create<KeyAttempt, string>(attempt =>
            RateLimitPartition.GetTokenBucketLimiter(ClientPrefix + attempt.Client, _ => Bucket(_options.ClientBurst, _options.ClientRefillPeriod)));
        var prefix = PartitionedRateLimiter.Create<KeyAttempt, string>(attempt =>
            RateLimitPartition.GetTokenBucketLimiter(KeyPrefix + attempt.Prefix, _ => Bucket(_options.PrefixBurst, _options.PrefixRefillPeriod)));
        _limiter = PartitionedRateLimiter.CreateChained(client, prefix);

        var meter = meters.Create(MeterName);
        _lookups = meter.CreateCounter<long>("mnemora.api_key.lookups", description: "API key lookups in the store (cache misses).");
        _refused = meter.CreateCounter<long>("mnemora.api_key.refused", description: "API key attempts refused before a lookup, per client or prefix.");
    }

    /// <summary>True when the key may be looked up; otherwise the request is marked for a 429 with the time to wait.</summary>
    public bool TryBeginLookup(HttpContext context, string token, string keyHash)
    {
        if (_options.KnownKeyDuration > TimeSpan.Zero && _known.TryGetValue(keyHash, out _))
        {
            _lookups.Add(1);
            return true;
        }

        using var lease = _limiter.AttemptAcquire(new KeyAttempt(ClientOf(context), token[..DisplayPrefixLength]));
        if (lease.IsAcquired)
        {
            _lookups.Add(1);
            return true;
        }

        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _options.ClientRefillPeriod;
        context.Items[s_refusal] = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        _refused.Add(1);
        return false;
    }

    /// <summary>Remembers a key found valid, so its later lookups (after the resolver's short cache) skip the buckets.</summary>
    public void MarkValid(string keyHash)
    {
        if (_options.KnownKeyDuration > TimeSpan.Zero && !_known.TryGetValue(keyHash, out _))
        {
            _known.Set(keyHash, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _options.KnownKeyDuration });
        }
    }

    /// <summary>Writes the 429 for a request whose key attempt was refused; false when it was not.</summary>
    public static bool TryWriteRefusal(HttpContext context, out Task written)
    {
        if (context.Items[s_refusal] is not long seconds)
        {
            written = Task.CompletedTask;
            return false;
        }

        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        written = new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
            "Too many attempts with unknown API keys from this client. Retry later.").ExecuteAsync(context);
        return true;
    }

    /// <summary>The client: its IP address (as a trusted proxy forwarded it), an IPv6 client by its /64.</summary>
    internal static string ClientOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear();
            address = new IPAddress(bytes);
        }

        return address.ToString();
    }

    /// <summary>Forwarded headers: only <c>X-Forwarded-For</c>, only from loopback and the configured proxies.</summary>
    internal static void ConfigureForwardedHeaders(ForwardedHeadersOptions forwarded, KeyGuardOptions options)
    {
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        foreach (var network in options.TrustedProxies)
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }
    }

    private static TokenBucketRateLimiterOptions Bucket(int burst, TimeSpan refillPeriod) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = refillPeriod,
        AutoReplenishment = false,
        QueueLimit = 0,
    };

    public void Dispose()
    {
        _limiter.Dispose();
        _known.Dispose();
    }

    private sealed record KeyAttempt(string Client, string Prefix);
}

internal static class KeyGuardExtensions
{
    public static IHostApplicationBuilder AddKeyGuard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KeyGuardOptions>()
            .BindConfiguration(KeyGuardOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(options => options.TrustedProxies.All(network => System.Net.IPNetwork.TryParse(network, out _)),
                $"{KeyGuardOptions.SectionName}:TrustedProxies must be networks in CIDR notation, e.g. 10.0.0.0/8.")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<KeyGuardOptions>>((forwarded, guard) => KeyGuard.ConfigureForwardedHeaders(forwarded, guard.Value));
        builder.Services.AddSingleton<KeyGuard>();
        return builder;
    }
}
