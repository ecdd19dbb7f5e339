using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tenancy;

/// <summary>The tenant a key belongs to, when it is live.</summary>
internal sealed record KeyOwner(string TenantId, TenantTier Tier, string KeyId = "");

/// <summary>
/// Resolves a key hash to its live tenant. An answer is trusted for at most
/// <see cref="TenancyOptions.ApiKeyCacheDuration"/> after the store was read, so a revoked key or a
/// deleted tenant stops working within that time on every replica, and a flood of one bad key costs
/// one lookup. A live key seen in the last <see cref="KeepFor"/> is read again in the background
/// before its answer grows that old (every key due, in a few batch reads), so an agent calling every
/// few seconds never waits for a key lookup; one the refresh could not read (a store outage) is looked
/// up on the request path again once its answer is too old.
/// </summary>
internal sealed partial class ApiKeyResolver(
    ApiKeyStore keys,
    TenantStore store,
    TimeProvider time,
    IOptions<TenancyOptions> options,
    ILogger<ApiKeyResolver> logger) : BackgroundService
{
    /// <summary>How long after its last call a live key stays refreshed in the background.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, LiveKey> _live = new(StringComparer.Ordinal);
    private readonly MemoryCache _unknown = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private readonly ConcurrentDictionary<string, Lazy<Task<KeyOwner?>>> _inFlight = new(StringComparer.Ordinal);

    private TimeSpan TrustFor => options.Value.ApiKeyCacheDuration;

    /// <summary>
    /// The key's owner (null when unknown or revoked): from a recent enough answer, else from a lookup
    /// already running for the same hash (a burst of calls with one key costs one lookup), else from a
    /// new lookup if <paramref name="admit"/> allows it. Null (no task) when it does not.
    /// </summary>
    public async ValueTask<Task<KeyOwner?>?> TryResolveAsync(string keyHash, Func<ValueTask<bool>> admit)
    {
        if (_live.TryGetValue(keyHash, out var live) && time.GetElapsedTime(live.ReadAt) < TrustFor)
        {
            live.LastSeen = time.GetTimestamp();
            return Task.FromResult<KeyOwner?>(live.Owner);
        }

        if (_unknown.TryGetValue(keyHash, out _))
        {
            return Task.FromResult<KeyOwner?>(null);
        }

        if (_inFlight.TryGetValue(keyHash, out var running))
        {
            return running.Value;
        }

        if (!await admit())
        {
            return null;
        }

        var lookup = new Lazy<Task<KeyOwner?>>(() => LookUpAndRememberAsync(keyHash));
        var winner = _inFlight.GetOrAdd(keyHash, lookup);
        if (ReferenceEquals(winner, lookup))
        {
            _ = lookup.Value.ContinueWith(_ => _inFlight.TryRemove(KeyValuePair.Create(keyHash, lookup)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return winner.Value;
    }

    /// <summary>
    /// Reads again every live key seen in the last <see cref="KeepFor"/> whose answer is a quarter of its
    /// trust old, and forgets the others. Runs in the background twice per trust period, so an answer is read
    /// again by the time it is three quarters of its trust old: a quarter is left for a tick that runs late on a
    /// busy replica and for the reads themselves, which a call arriving meanwhile would otherwise wait for
    /// (with half as the mark, 1–2 % of the calls in `agent-pace` did). Public for tests.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var due = new List<KeyValuePair<string, LiveKey>>();
        foreach (var entry in _live)
        {
            if (time.GetElapsedTime(entry.Value.LastSeen) > KeepFor)
            {
                _live.TryRemove(entry);
            }
            else if (time.GetElapsedTime(entry.Value.ReadAt) >= TrustFor / 4)
            {
                due.Add(entry);
            }
        }

        if (due.Count == 0)
        {
            return;
        }

        var readAt = time.GetTimestamp();
        var owners = await ReadOwnersAsync(due.Select(e => e.Key), cancellationToken);
        var used = new List<(ApiKeyRecord Key, DateTime SeenAt)>();
        foreach (var (keyHash, live) in due)
        {
            if (!owners.TryGetValue(keyHash, out var read))
            {
                _live.TryRemove(KeyValuePair.Create(keyHash, live));
                RememberUnknown(keyHash);
                continue;
            }

            // Only the entry that was read: a lookup on the request path may have replaced it meanwhile.
            _live.TryUpdate(keyHash, new LiveKey(read.Owner, readAt, live.LastSeen), live);
            used.Add((read.Key, time.GetUtcNow().UtcDateTime - time.GetElapsedTime(live.LastSeen)));
        }

        await Parallel.ForEachAsync(used, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            (use, ct) => new ValueTask(TouchIfDueAsync(use.Key, use.SeenAt, ct)));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (TrustFor <= TimeSpan.Zero)
        {
            // Answers are not trusted at all: every call looks its key up, and there is nothing to refresh.
            return;
        }

        using var timer = new PeriodicTimer(TrustFor / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RefreshAsync(stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Nothing is trusted longer for it: keys not read again are looked up on their next call.
                    Log.RefreshFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _unknown.Dispose();
        base.Dispose();
    }

    // Shared by every request waiting for it, so no one request's cancellation ends it; the store clients' timeouts bound it.
    private async Task<KeyOwner?> LookUpAndRememberAsync(string keyHash)
    {
        var readAt = time.GetTimestamp();
        if (!(await ReadOwnersAsync([keyHash], CancellationToken.None)).TryGetValue(keyHash, out var read))
        {
            _live.TryRemove(keyHash, out _);
            RememberUnknown(keyHash);
            return null;
        }

        _live[keyHash] = new LiveKey(read.Owner, readAt, time.GetTimestamp());
        await TouchIfDueAsync(read.Key, time.GetUtcNow().UtcDateTime, CancellationToken.None);
        return read.Owner;
    }

    /// <summary>The live keys among these hashes, with their owners (two batch reads: the keys, then their tenants).</summary>
    private async Task<Dictionary<string, (KeyOwner Owner, ApiKeyRecord Key)>> ReadOwnersAsync(IEnumerable<string> keyHashes, CancellationToken cancellationToken)
    {
        var found = await keys.FindKeysAsync(keyHashes, cancellationToken);
        var tenants = await store.GetTenantsAsync(found.Values.Select(k => k.TenantId), cancellationToken);
        var owners = new Dictionary<string, (KeyOwner, ApiKeyRecord)>(StringComparer.Ordinal);
        foreach (var (keyHash, key) in found)
        {
            if (!key.IsRevoked && ApiKeys.HashesEqual(key.KeyHash, keyHash) && tenants.GetValueOrDefault(key.TenantId) is { IsDeleted: false } tenant)
            {
                owners[keyHash] = (new KeyOwner(tenant.TenantId, TenantTiers.Parse(tenant.Tier), key.KeyId), key);
            }
        }

        return owners;
    }

    private void RememberUnknown(string keyHash)
    {
        if (TrustFor > TimeSpan.Zero)
        {
            _unknown.Set(keyHash, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TrustFor });
        }
    }

    /// <summary>Records when the key was last used, at most once per <see cref="TenancyOptions.LastUsedResolution"/>.</summary>
    private Task TouchIfDueAsync(ApiKeyRecord key, DateTime usedAt, CancellationToken cancellationToken) =>
        key.LastUsedAt is not { } last || usedAt - last >= options.Value.LastUsedResolution
            ? keys.TouchKeyAsync(key.KeyHash, usedAt, cancellationToken)
            : Task.CompletedTask;

    /// <summary>A live key's owner as read at <see cref="ReadAt"/>, and when a call last presented it (timestamps).</summary>
    private sealed class LiveKey(KeyOwner owner, long readAt, long lastSeen)
    {
        public KeyOwner Owner { get; } = owner;

        public long ReadAt { get; } = readAt;

        public long LastSeen
        {
            get => Volatile.Read(ref lastSeen);
            set => Volatile.Write(ref lastSeen, value);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the live API keys again; each is looked up on its next call once its answer is too old")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
