using System.Collections.Concurrent;
using System.Globalization;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Tenancy;

public sealed class QuotaTests(MnemoraApp system)
{
    [Fact]
    public Task SixtyConcurrentClientsGetExactlyTheCallsLeftAndTheRestAreRefused() => UtcDay.RunAsync(SixtyConcurrentClientsGetExactlyTheCallsLeftAndTheRestAreRefusedOnceAsync);

    private async Task SixtyConcurrentClientsGetExactlyTheCallsLeftAndTheRestAreRefusedOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        using var table = await TenantsTable.OpenAsync(system);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        var latestReset = SecondsToMidnight();
        var successes = 0;
        var refusals = new ConcurrentBag<HttpResponseMessage>();

        // 60 clients, each calling until it is refused: 500 calls left on a fresh free tenant.
        await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var response = await tenant.Client.GetAsync("/v1/usage", deadline.Token);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    refusals.Add(response);
                    return;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
                Interlocked.Increment(ref successes);
            }
        }, deadline.Token)));

        Assert.Equal(500, successes);
        Assert.Equal(60, refusals.Count);
        var earliestReset = SecondsToMidnight();
        foreach (var refusal in refusals)
        {
            var retryAfter = long.Parse(refusal.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, Math.Floor(earliestReset), Math.Ceiling(latestReset) + 1);
            Assert.Equal("\"daily\";q=500;w=86400", refusal.Headers.GetValues("RateLimit-Policy").Single());
            Assert.StartsWith("\"daily\";r=0;t=", refusal.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);
            await Envelope.ReadErrorAsync(refusal, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
            refusal.Dispose();
        }

        Assert.Equal(500, await table.CallsTodayAsync(tenant.TenantId, cancellationToken));
        using var admin = system.CreateOperatorClient();
        var details = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{tenant.TenantId}", cancellationToken), HttpStatusCode.OK);
        Assert.Equal(500, details.GetProperty("usage").GetProperty("api_calls_today").GetInt64());
        Assert.Equal(500, details.GetProperty("usage").GetProperty("api_calls_month").GetInt64());
    }

    [Fact]
    public async Task ConcurrentStateReadsGetExactlyTheCallsLeftAndARefusalRevealsNothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        using var written = await tenant.Client.PostAsJsonAsync("/v1/state", new { agent_id = "reader", data = new { secret = "kept-in-state" } }, deadline.Token);
        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        var successes = 0;
        var refusals = new ConcurrentBag<string>();

        // 499 calls are left after the write, taken from leases that shrink to one call near the limit.
        await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                using var response = await tenant.Client.GetAsync("/v1/state/reader", deadline.Token);
                var body = await response.Content.ReadAsStringAsync(deadline.Token);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.True(response.Headers.Contains("Retry-After"));
                    refusals.Add(body);
                    return;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Contains("kept-in-state", body, StringComparison.Ordinal);
                Interlocked.Increment(ref successes);
            }
        }, deadline.Token)));

        Assert.Equal(499, successes);
        Assert.Equal(60, refusals.Count);
        Assert.All(refusals, body =>
        {
            Assert.DoesNotContain("kept-in-state", body, StringComparison.Ordinal);
            Assert.Contains("\"RATE_LIMITED\"", body, StringComparison.Ordinal);
        });
    }

    [Fact]
    public Task CallsLeasedButNotMadeAreNotReportedAndTheStoreRunsAheadByAtMostALease() => UtcDay.RunAsync(CallsLeasedButNotMadeAreNotReportedAndTheStoreRunsAheadByAtMostALeaseOnceAsync);

    private async Task CallsLeasedButNotMadeAreNotReportedAndTheStoreRunsAheadByAtMostALeaseOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", cancellationToken);
        using var table = await TenantsTable.OpenAsync(system);
        for (var call = 0; call < 5; call++)
        {
            using var response = await tenant.Client.GetAsync("/v1/usage", cancellationToken);
            Assert.Equal(call + 1, (await Envelope.ReadDataAsync(response, HttpStatusCode.OK)).GetProperty("api_calls_today").GetInt64());
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        }

        // A tenant seen in the last 10 minutes keeps its lease (refilled ahead) however slowly it calls:
        // the store counts at most one lease (50 calls) more than were made; reads report what was made.
        var stored = await table.CallsTodayAsync(tenant.TenantId, cancellationToken);
        Assert.InRange(stored, 5, 5 + 50);
        using var last = await tenant.Client.GetAsync("/v1/usage", cancellationToken);
        Assert.Equal(6, (await Envelope.ReadDataAsync(last, HttpStatusCode.OK)).GetProperty("api_calls_today").GetInt64());
    }

    private static double SecondsToMidnight() => (TimeProvider.System.GetUtcNow().Date.AddDays(1) - TimeProvider.System.GetUtcNow().UtcDateTime).TotalSeconds;

    [Fact]
    public async Task EveryCallReportsWhatIsLeftAndATierChangeMovesTheLimit()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("free", cancellationToken);
        using var admin = system.CreateOperatorClient();

        var first = await tenant.Client.GetAsync("/v1/usage", cancellationToken);
        Assert.Equal("\"daily\";q=500;w=86400", first.Headers.GetValues("RateLimit-Policy").Single());
        Assert.StartsWith("\"daily\";r=499;t=", first.Headers.GetValues("RateLimit").Single(), StringComparison.Ordinal);

        var patched = await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { tier = "pro" }, cancellationToken), HttpStatusCode.OK);
        Assert.Equal("pro", patched.GetProperty("tier").GetString());

        // The key's cached tier expires within seconds.
        var started = System.Diagnostics.Stopwatch.StartNew();
        long limit;
        do
        {
            await Task.Delay(200, cancellationToken);
            limit = (await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK)).GetProperty("daily_limit").GetInt64();
        }
        while (limit != 25_000 && started.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(25_000, limit);
    }
}
