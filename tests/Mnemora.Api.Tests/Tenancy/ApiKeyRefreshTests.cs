using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mnemora.Api.Tenancy;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage.Tenancy;

namespace Mnemora.Api.Tests.Tenancy;

/// <summary>
/// The key resolver against the real tenants table, on a fake clock: a key an agent keeps calling with is
/// read again in the background, so no call waits for a key lookup, yet its revocation stops it at the next
/// refresh (well within the contract's 5 s); an answer nobody renewed is not trusted past its time, and a
/// key not seen for ten minutes is no longer refreshed.
/// </summary>
public sealed class ApiKeyRefreshTests(MnemoraApp system)
{
    private static readonly TimeSpan s_trust = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task AnAgentCallingEveryFewSecondsNeverWaitsForALookupAndARevokedKeyStopsAtTheNextRefresh()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        using var stores = await StoreHost.CreateAsync(system.App, ct);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var resolver = Resolver(stores, time);
        var hash = ApiKeys.Hash(tenant.ApiKey);
        var lookups = 0;
        bool Admit()
        {
            lookups++;
            return true;
        }

        Assert.Equal(tenant.TenantId, (await resolver.TryResolve(hash, Admit)!)?.TenantId);

        // A minute of calls 3 s apart, longer apart than an answer is trusted; the background refresh ticks every second.
        for (var call = 0; call < 20; call++)
        {
            for (var tick = 0; tick < 3; tick++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await resolver.RefreshAsync(ct);
            }

            var answer = resolver.TryResolve(hash, Admit);
            Assert.True(answer is { IsCompletedSuccessfully: true }, $"Call {call} waited for a lookup.");
            Assert.Equal(tenant.TenantId, (await answer)?.TenantId);
        }

        Assert.Equal(1, lookups);

        using (var admin = system.CreateOperatorClient())
        {
            var keys = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", ct), HttpStatusCode.OK);
            var keyId = keys.GetProperty("keys")[0].GetProperty("key_id").GetString();
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/{keyId}", ct)).StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        await resolver.RefreshAsync(ct);
        var afterRevocation = resolver.TryResolve(hash, Admit);
        Assert.True(afterRevocation is { IsCompletedSuccessfully: true });
        Assert.Null(await afterRevocation);
        Assert.Equal(1, lookups);
    }

    [Fact]
    public async Task AnAnswerNoRefreshRenewedIsLookedUpAgainAndAKeyUnseenForTenMinutesIsNoLongerRefreshed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        using var stores = await StoreHost.CreateAsync(system.App, ct);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var resolver = Resolver(stores, time);
        var hash = ApiKeys.Hash(tenant.ApiKey);
        var lookups = 0;
        bool Admit()
        {
            lookups++;
            return true;
        }

        await resolver.TryResolve(hash, Admit)!;

        // The refresh did not run (say the store was down): past its trust, the answer is read on the request path.
        time.Advance(s_trust + TimeSpan.FromMilliseconds(1));
        Assert.Equal(tenant.TenantId, (await resolver.TryResolve(hash, Admit)!)?.TenantId);
        Assert.Equal(2, lookups);

        // Unseen for longer than the resolver keeps keys: the refresh forgets it, so the next call looks it up.
        time.Advance(ApiKeyResolver.KeepFor + TimeSpan.FromSeconds(1));
        await resolver.RefreshAsync(ct);
        Assert.Equal(tenant.TenantId, (await resolver.TryResolve(hash, Admit)!)?.TenantId);
        Assert.Equal(3, lookups);
    }

    private static ApiKeyResolver Resolver(IHost stores, TimeProvider time) => new(
        stores.Services.GetRequiredService<ApiKeyStore>(),
        stores.Services.GetRequiredService<TenantStore>(),
        time,
        Options.Create(new TenancyOptions { ApiKeyCacheDuration = s_trust }),
        NullLogger<ApiKeyResolver>.Instance);
}
