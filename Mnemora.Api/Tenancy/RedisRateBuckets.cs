using System.Globalization;
using StackExchange.Redis;

namespace Mnemora.Api.Tenancy;

/// <summary>
/// Token buckets every API replica shares, one Redis hash each (tokens and the time they were
/// counted), refilled and spent in one script on Redis's clock, so that two replicas taking at
/// once never both spend the last token. When Redis does not answer, each replica falls back to
/// its own buckets (the limits then hold per replica, as with one replica) rather than refusing
/// calls or letting them through unlimited.
/// </summary>
internal sealed partial class RedisRateBuckets : IRateBuckets
{
    private readonly IConnectionMultiplexer _redis;
    private readonly LocalRateBuckets _fallback;
    private readonly ILogger<RedisRateBuckets> _logger;

    public RedisRateBuckets(IConnectionMultiplexer redis, LocalRateBuckets fallback, ILogger<RedisRateBuckets> logger)
    {
        (_redis, _fallback, _logger) = (redis, fallback, logger);
        // The operator (and the replica tests) see when the shared limits hold again.
        redis.ConnectionRestored += (_, e) => Log.Restored(logger, e.ConnectionType);
    }

    // KEYS[1]: the bucket; ARGV: burst, refill period in microseconds, tokens wanted (0: is one there?).
    // Returns the tokens granted and, when none, the microseconds until the next one.
    private static readonly LuaScript s_take = LuaScript.Prepare(
        """
        local burst = tonumber(@burst)
        local period = tonumber(@period)
        local wanted = tonumber(@wanted)
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
        local state = redis.call('HMGET', @bucket, 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        if now > at then tokens = math.min(burst, tokens + (now - at) / period) end
        local granted = 0
        if tokens >= 1 then
          if wanted == 0 then return {1, 0} end
          granted = math.min(wanted, math.floor(tokens))
          tokens = tokens - granted
        end
        redis.call('HSET', @bucket, 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', now))
        redis.call('PEXPIRE', @bucket, math.ceil(burst * period / 1000) + 1000)
        if granted > 0 then return {granted, 0} end
        return {0, math.ceil((1 - tokens) * period)}
        """);

    public async ValueTask<BucketTake> TakeAsync(string name, BucketShape shape, int wanted, CancellationToken cancellationToken)
    {
        try
        {
            var answer = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(s_take, new
            {
                bucket = (RedisKey)("mnemora:bucket:" + name),
                burst = shape.Burst,
                period = (long)Math.Max(1, shape.RefillPeriod.Ticks / 10),
                wanted,
            }))!;
            return new BucketTake((int)answer[0], TimeSpan.FromTicks((long)answer[1] * 10));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            Log.Unavailable(_logger, exception, name.Split(':', 2)[0]);
            return _fallback.Take(name, shape, wanted);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not answer for a {Bucket} bucket: this replica limits on its own until it does")]
        public static partial void Unavailable(ILogger logger, Exception exception, string bucket);

        [LoggerMessage(Level = LogLevel.Information, Message = "Redis answers again ({ConnectionType} connection): the replicas share their limits again")]
        public static partial void Restored(ILogger logger, ConnectionType connectionType);
    }
}

internal static class RateBucketExtensions
{
    /// <summary>The connection name of the shared buckets' Redis (the AppHost adds it with several API replicas).</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>Buckets in Redis when a <c>redis</c> connection string is configured, else this replica's own.</summary>
    public static IHostApplicationBuilder AddRateBuckets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LocalRateBuckets>();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RedisConnectionName)))
        {
            builder.Services.AddSingleton<IRateBuckets>(services => services.GetRequiredService<LocalRateBuckets>());
            return builder;
        }

        builder.AddRedisClient(RedisConnectionName, settings =>
        {
            // Redis is not needed to serve: without it the limits fall back to each replica's own, so it is no health check.
            settings.DisableHealthChecks = true;
        }, options =>
        {
            options.AbortOnConnectFail = false;
            // While Redis is away a call falls back at once instead of waiting in a backlog for the reconnection.
            options.BacklogPolicy = BacklogPolicy.FailFast;
            options.ConnectTimeout = 2000;
            options.AsyncTimeout = 500;
            options.SyncTimeout = 500;
        });
        builder.Services.AddSingleton<IRateBuckets, RedisRateBuckets>();
        return builder;
    }

    /// <summary>The bucket's name with a parameter's text kept unambiguous (a tenant id may contain ':').</summary>
    public static string BucketName(string kind, string id) => string.Create(CultureInfo.InvariantCulture, $"{kind}:{id.Length}:{id}");
}
