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
        await using var probe = await Probe.StartAsync(system, tenant, ct);

        Assert.Equal(tenant.TenantId, (await probe.ResolveAsync())?.TenantId);

        // A minute of calls 3 s apart, longer apart than an answer is trusted; the background refresh ticks every second.
        for (var call = 0; call < 20; call++)
        {
            for (var tick = 0; tick < 3; tick++)
            {
                await probe.TickAsync(TimeSpan.FromSeconds(1), ct);
            }

            var answer = probe.TryResolve();
            Assert.True(answer is { IsCompletedSuccessfully: true }, $"Call {call} waited for a lookup.");
            Assert.Equal(tenant.TenantId, (await answer)?.TenantId);
        }

        Assert.Equal(1, probe.Lookups);

        using (var admin = system.CreateOperatorClient())
        {
            var keys = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}/keys", ct), HttpStatusCode.OK);
            var keyId = keys.GetProperty("keys")[0].GetProperty("key_id").GetString();
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/admin/v1/tenants/{tenant.TenantId}/keys/{keyId}", ct)).StatusCode);
        }

        await probe.TickAsync(TimeSpan.FromSeconds(1), ct);
        var afterRevocation = probe.TryResolve();
        Assert.True(afterRevocation is { IsCompletedSuccessfully: true });
        Assert.Null(await afterRevocation);
        Assert.Equal(1, probe.Lookups);
    }

    [Fact]
    public async Task ARefreshTickThatRunsLateStillFindsTheAnswerTrusted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        await using var probe = await Probe.StartAsync(system, tenant, ct);
        await probe.ResolveAsync();

        // Ticks are a second apart (half the trust); the first comes early in the answer's life, the next half a
        // second late, as on a busy replica. The first tick reads the key again, so the call after the late
        // tick finds a trusted answer.
        await probe.TickAsync(TimeSpan.FromMilliseconds(600), ct);
        probe.Time.Advance(TimeSpan.FromMilliseconds(1500));
        var answer = probe.TryResolve();
        Assert.True(answer is { IsCompletedSuccessfully: true }, "The call waited for a lookup: the early tick did not read the key again.");
        Assert.Equal(tenant.TenantId, (await answer)?.TenantId);
        Assert.Equal(1, probe.Lookups);
    }

    [Fact]
    public async Task AnAnswerNoRefreshRenewedIsLookedUpAgainAndAKeyUnseenForTenMinutesIsNoLongerRefreshed()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        await using var probe = await Probe.StartAsync(system, tenant, ct);

        await probe.ResolveAsync();

        // The refresh did not run (say the store was down): past its trust, the answer is read on the request path.
        probe.Time.Advance(s_trust + TimeSpan.FromMilliseconds(1));
        Assert.Equal(tenant.TenantId, (await probe.ResolveAsync())?.TenantId);
        Assert.Equal(2, probe.Lookups);

        // Unseen for longer than the resolver keeps keys: the refresh forgets it, so the next call looks it up.
        await probe.TickAsync(ApiKeyResolver.KeepFor + TimeSpan.FromSeconds(1), ct);
        Assert.Equal(tenant.TenantId, (await probe.ResolveAsync())?.TenantId);
        Assert.Equal(3, probe.Lookups);
    }

    /// <summary>A resolver of the test's own on a fake clock, over the system's tenants table, counting the lookups it admits.</summary>
    private sealed class Probe(IHost stores, ApiKeyResolver resolver, FakeTimeProvider time, string keyHash) : IAsyncDisposable
    {
        public FakeTimeProvider Time => time;

        public int Lookups { get; private set; }

        public static async Task<Probe> StartAsync(MnemoraApp system, TestTenant tenant, CancellationToken ct)
        {
            var stores = await StoreHost.CreateAsync(system.App, ct);
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var resolver = new ApiKeyResolver(
                stores.Services.GetRequiredService<ApiKeyStore>(),
                stores.Services.GetRequiredService<TenantStore>(),
                time,
                Options.Create(new TenancyOptions { ApiKeyCacheDuration = s_trust }),
                NullLogger<ApiKeyResolver>.Instance);
            return new Probe(stores, resolver, time, ApiKeys.Hash(tenant.ApiKey));
        }

        /// <summary>What a call with the key gets now: a completed task when no lookup was needed.</summary>
        public Task<KeyOwner?>? TryResolve()
        {
            var answer = resolver.TryResolveAsync(keyHash, () =>
            {
                Lookups++;
                return ValueTask.FromResult(true);
            });
            Assert.True(answer.IsCompleted, "an admitted resolution is decided without waiting");
            return answer.Result;
        }

        public Task<KeyOwner?> ResolveAsync() => TryResolve()!;

        /// <summary>Lets time pass, then runs one background refresh.</summary>
        public Task TickAsync(TimeSpan by, CancellationToken ct)
        {
            time.Advance(by);
            return resolver.RefreshAsync(ct);
        }

        public ValueTask DisposeAsync()
        {
            resolver.Dispose();
            stores.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
