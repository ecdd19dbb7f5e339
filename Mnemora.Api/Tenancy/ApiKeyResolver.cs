using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tenancy;

/// <summary>The tenant a key belongs to, when it is live.</summary>
internal sealed record KeyOwner(string TenantId, TenantTier Tier, string KeyId = "");

/// <summary>
/// Resolves a key hash to its live tenant, caching each answer (found or not) for at most
/// <see cref="TenancyOptions.ApiKeyCacheDuration"/>: a revoked key or deleted tenant stops
/// working within that time on every replica, and a flood of one bad key costs one lookup.
/// </summary>
internal sealed class ApiKeyResolver(ApiKeyStore keys, TenantStore store, TimeProvider time, IOptions<TenancyOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private readonly ConcurrentDictionary<string, Lazy<Task<KeyOwner?>>> _inFlight = new(StringComparer.Ordinal);

    /// <summary>
    /// The key's owner (null when unknown or revoked): from the cache, else from a lookup already
    /// running for the same hash (a burst of calls with one key costs one lookup), else from a new
    /// lookup if <paramref name="admit"/> allows it. Null (no task) when it does not.
    /// </summary>
    public Task<KeyOwner?>? TryResolve(string keyHash, Func<bool> admit)
    {
        if (_cache.TryGetValue(keyHash, out KeyOwner? cached))
        {
            return Task.FromResult(cached);
        }

        if (_inFlight.TryGetValue(keyHash, out var running))
        {
            return running.Value;
        }

        if (!admit())
        {
            return null;
        }

        var lookup = new Lazy<Task<KeyOwner?>>(() => LookUpAndCacheAsync(keyHash));
        var winner = _inFlight.GetOrAdd(keyHash, lookup);
        if (ReferenceEquals(winner, lookup))
        {
            _ = lookup.Value.ContinueWith(_ => _inFlight.TryRemove(KeyValuePair.Create(keyHash, lookup)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return winner.Value;
    }

    // Shared by every request waiting for it, so no one request's cancellation ends it; the store clients' timeouts bound it.
    private async Task<KeyOwner?> LookUpAndCacheAsync(string keyHash)
    {
        var owner = await LookUpAsync(keyHash, CancellationToken.None);
        _cache.Set(keyHash, owner, new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = options.Value.ApiKeyCacheDuration,
        });
        return owner;
    }

    private async Task<KeyOwner?> LookUpAsync(string keyHash, CancellationToken cancellationToken)
    {
        var key = await keys.FindKeyAsync(keyHash, cancellationToken);
        if (key is null || key.IsRevoked || !ApiKeys.HashesEqual(key.KeyHash, keyHash))
        {
            return null;
        }

        var tenant = await store.GetTenantAsync(key.TenantId, cancellationToken);
        if (tenant is null || tenant.IsDeleted)
        {
            return null;
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (key.LastUsedAt is not { } last || now - last >= options.Value.LastUsedResolution)
        {
            await keys.TouchKeyAsync(keyHash, now, cancellationToken);
        }

        return new KeyOwner(tenant.TenantId, TenantTiers.Parse(tenant.Tier), key.KeyId);
    }

    public void Dispose() => _cache.Dispose();
}
