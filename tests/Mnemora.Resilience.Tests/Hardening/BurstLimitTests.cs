using System.Diagnostics;
using System.Globalization;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>Noisy neighbours: one tenant's burst is refused by its own token bucket while another tenant's calls pass.</summary>
[Collection(HardeningCollection.Name)]
public sealed class BurstLimitTests(HardeningSystem system)
{
    // The free tier's default bucket: 10 a second, bursts of 20.
    private const int FreeBurst = 20;
    private const int FreePerSecond = 10;

    [Fact]
    public Task OneTenantsBurstIsRefusedWhileAnotherTenantsCallsPassAndRefusedCallsAreNotCounted() => UtcDay.RunAsync(OneTenantsBurstIsRefusedWhileAnotherTenantsCallsPassAndRefusedCallsAreNotCountedOnceAsync);

    private async Task OneTenantsBurstIsRefusedWhileAnotherTenantsCallsPassAndRefusedCallsAreNotCountedOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var noisy = await system.CreateTenantAsync("free", cancellationToken);
        using var quiet = await system.CreateTenantAsync("free", cancellationToken);

        // 80 calls at once from one tenant, while the other makes its usual calls one by one.
        var clock = Stopwatch.StartNew();
        var burst = Enumerable.Range(0, 80).Select(_ => noisy.Client.GetAsync("/v1/usage", cancellationToken)).ToList();
        var quietStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await AnsweredAsync(() => quiet.Client.GetAsync("/v1/usage", cancellationToken), cancellationToken);
            quietStatuses.Add(response.StatusCode);
        }

        var responses = await Task.WhenAll(burst).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
        var elapsed = clock.Elapsed;

        Assert.All(quietStatuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var passed = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
        Assert.InRange(passed, FreeBurst, FreeBurst + (int)Math.Ceiling(elapsed.TotalSeconds * FreePerSecond) + 1);
        Assert.NotEmpty(refused);
        foreach (var refusal in refused)
        {
            await Envelope.ReadErrorAsync(refusal, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
            var retryAfter = long.Parse(refusal.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 5);
            Assert.Equal("\"burst\";q=20;w=1", refusal.Headers.GetValues("RateLimit-Policy").Single());
        }

        // Only the calls that passed count against the day (the operator reads without counting).
        Assert.Equal(passed, await system.CallsTodayAsync(noisy.TenantId, cancellationToken));
        Assert.Equal(quietStatuses.Count, await system.CallsTodayAsync(quiet.TenantId, cancellationToken));

        // The bucket refills: after Retry-After the noisy tenant is served again.
        await Task.Delay(TimeSpan.FromSeconds(1.2), cancellationToken);
        await Envelope.ReadDataAsync(await noisy.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public Task AHigherTierHasALargerBucket() => UtcDay.RunAsync(AHigherTierHasALargerBucketOnceAsync);

    private async Task AHigherTierHasALargerBucketOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var scale = await system.CreateTenantAsync("scale", cancellationToken);

        // The key is looked up once first, so the burst below meets the bucket, not a cold lookup on a starved store.
        (await AnsweredAsync(() => scale.Client.GetAsync("/v1/usage", cancellationToken), cancellationToken)).Dispose();

        // 60 at once: over the free tier's burst of 20, under the scale tier's 200.
        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => AnsweredAsync(() => scale.Client.GetAsync("/v1/usage", cancellationToken), cancellationToken)))
            .WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // A 503 (a store timeout on a loaded machine) is given back to the day, so the re-sent calls count once.
        Assert.Equal(61, await system.CallsTodayAsync(scale.TenantId, cancellationToken));
    }

    /// <summary>Sends again after a 503 (a store timeout on a starved machine), as a client would, up to five times: the store's speed is not what is tested.</summary>
    private static async Task<HttpResponseMessage> AnsweredAsync(Func<Task<HttpResponseMessage>> send, CancellationToken cancellationToken)
    {
        var response = await send();
        for (var attempt = 1; response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 5; attempt++)
        {
            response.Dispose();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            response = await send();
        }

        return response;
    }
}
