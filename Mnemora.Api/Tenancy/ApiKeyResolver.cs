using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tenancy;

/// <summary>The tenant a key belongs to, when it is live.</summary>
internal sealed record KeyOwner(string TenantId, TenantTier Tier);

/// <summary>
/// Resolves a key hash to its live tenant, caching each answer (found or not) for at most
/// <see cref="TenancyOptions.ApiKeyCacheDuration"/>: a revoked key or deleted tenant stops
/// working within that time on every replica, and a flood of one bad key costs one lookup.
/// </summary>
internal sealed class ApiKeyResolver(TenantStore store, TimeProvider time, IOptions<TenancyOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public async ValueTask<KeyOwner?> ResolveAsync(string keyHash, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(keyHash, out KeyOwner? cached))
        {
            return cached;
        }

        var owner = await LookUpAsync(keyHash, cancellationToken);
        _cache.Set(keyHash, owner, new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = options.Value.ApiKeyCacheDuration,
        });
        return owner;
    }

    private async Task<KeyOwner?> LookUpAsync(string keyHash, CancellationToken cancellationToken)
    {
        var key = await store.FindKeyAsync(keyHash, cancellationToken);
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
            await store.TouchKeyAsync(keyHash, now, cancellationToken);
        }

        return new KeyOwner(tenant.TenantId, TenantTiers.Parse(tenant.Tier));
    }

    public void Dispose() => _cache.Dispose();
}
