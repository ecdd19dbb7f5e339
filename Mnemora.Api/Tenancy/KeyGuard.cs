using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Api.Http;

namespace Mnemora.Api.Tenancy;

/// <summary>How many attempts with unknown keys a client may make; bound from <c>Mnemora:KeyGuard</c>.</summary>
public sealed class KeyGuardOptions
{
    public const string SectionName = "Mnemora:KeyGuard";

    /// <summary>Lookups of keys not yet known to be valid that one client (IP address, an IPv6 /64) may make at once.</summary>
    [Range(1, 1_000_000)]
    public int ClientBurst { get; set; } = 100;

    /// <summary>The time in which a client earns one more lookup (100 ms: 10 a second).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan ClientRefillPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a key once found valid skips the guard (it is still looked up, and revocation still applies).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan KnownKeyDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wrong operator keys on <c>/admin/v1</c> that one client may send at once.</summary>
    [Range(1, 1_000_000)]
    public int OperatorBurst { get; set; } = 10;

    /// <summary>The time in which a client earns one more wrong operator key (10 s: 6 a minute).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan OperatorRefillPeriod { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Slows key guessing before it costs the store: a key not in the resolver's cache and not
/// recently found valid needs a token from its client's bucket before it is looked up, and a
/// wrong operator key spends one from the client's operator bucket. Refused attempts get 429 with
/// <c>Retry-After</c> and cost nothing. The client is the TCP peer, or the address a configured
/// proxy forwarded (<c>Mnemora:ForwardedHeaders</c>); never anything else in the request, such as
/// a key's prefix, which another party can send too and so drain for the key's owner.
/// </summary>
internal sealed class KeyGuard : IDisposable
{
    public const string MeterName = "Mnemora.Api.Tenancy";
    private static readonly object s_refusal = new();

    private readonly IRateBuckets _buckets;
    private readonly MemoryCache _known = new(new MemoryCacheOptions { SizeLimit = 1_000_000 });
    private readonly KeyGuardOptions _options;
    private readonly BucketShape _lookupShape;
    private readonly BucketShape _operatorShape;
    private readonly Counter<long> _lookupCount;
    private readonly Counter<long> _refused;

    public KeyGuard(IRateBuckets buckets, IOptions<KeyGuardOptions> options, IMeterFactory meters)
    {
        _buckets = buckets;
        _options = options.Value;
        // Tokens are taken before the lookup, so concurrency cannot overrun a bucket; a valid key's first
        // lookup costs one token too, then it is known and passes freely. With several replicas the buckets
        // are shared (Redis), so a guesser spreading its attempts over the replicas gains nothing.
        _lookupShape = new BucketShape(_options.ClientBurst, _options.ClientRefillPeriod);
        _operatorShape = new BucketShape(_options.OperatorBurst, _options.OperatorRefillPeriod);

        var meter = meters.Create(MeterName);
        _lookupCount = meter.CreateCounter<long>("mnemora.api_key.lookups", description: "API key lookups in the store (cache misses).");
        _refused = meter.CreateCounter<long>("mnemora.api_key.refused", description: "API and operator key attempts refused per client.");
    }

    /// <summary>True when the key may be looked up; otherwise the request is marked for a 429 with the time to wait.</summary>
    public async ValueTask<bool> TryBeginLookupAsync(HttpContext context, string keyHash)
    {
        if (_options.KnownKeyDuration > TimeSpan.Zero && _known.TryGetValue(keyHash, out _))
        {
            _lookupCount.Add(1);
            return true;
        }

        var take = await _buckets.TakeAsync(RateBucketExtensions.BucketName("lookups", ClientOf(context)), _lookupShape, 1, context.RequestAborted);
        if (take.Granted > 0)
        {
            _lookupCount.Add(1);
            return true;
        }

        Refuse(context, take.RetryAfter, "Too many attempts with unknown API keys from this client. Retry later.");
        return false;
    }

    /// <summary>
    /// False (and a 429 marked) when the client has no wrong operator key left to spend: then even the right
    /// key is refused, or the answer would tell a guesser which of its refused guesses was right.
    /// </summary>
    public async ValueTask<bool> MayTryOperatorKeyAsync(HttpContext context)
    {
        var take = await _buckets.TakeAsync(RateBucketExtensions.BucketName("operator", ClientOf(context)), _operatorShape, 0, context.RequestAborted);
        if (take.Granted > 0)
        {
            return true;
        }

        Refuse(context, _options.OperatorRefillPeriod, "Too many wrong operator keys from this client. Retry later.");
        return false;
    }

    /// <summary>Spends one of the client's wrong operator keys; false (and a 429 marked) when none was left.</summary>
    public async ValueTask<bool> ChargeWrongOperatorKeyAsync(HttpContext context)
    {
        var take = await _buckets.TakeAsync(RateBucketExtensions.BucketName("operator", ClientOf(context)), _operatorShape, 1, context.RequestAborted);
        if (take.Granted > 0)
        {
            return true;
        }

        Refuse(context, take.RetryAfter, "Too many wrong operator keys from this client. Retry later.");
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
        if (context.Items[s_refusal] is not Refusal refusal)
        {
            written = Task.CompletedTask;
            return false;
        }

        context.Response.Headers.RetryAfter = refusal.Seconds.ToString(CultureInfo.InvariantCulture);
        written = new ApiProblem(StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, refusal.Message).ExecuteAsync(context);
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

    private void Refuse(HttpContext context, TimeSpan wait, string message)
    {
        context.Items[s_refusal] = new Refusal(Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)), message);
        _refused.Add(1);
    }

    public void Dispose() => _known.Dispose();

    private sealed record Refusal(long Seconds, string Message);
}

internal static class KeyGuardExtensions
{
    public static IHostApplicationBuilder AddKeyGuard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KeyGuardOptions>()
            .BindConfiguration(KeyGuardOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The guard's client is the address the configured proxies forwarded (UseMnemoraHttp applies them first).
        builder.AddTrustedProxies();
        builder.AddRateBuckets();
        builder.Services.AddSingleton<KeyGuard>();
        return builder;
    }
}
