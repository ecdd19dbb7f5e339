using Mnemora.Client.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Client.Tests.Tenancy;

public sealed class RateLimitTests(MnemoraApp system)
{
    [Fact]
    public Task AnExhaustedDailyLimitIsARateLimitedErrorWithTheTimeToMidnight() => UtcDay.RunAsync(AnExhaustedDailyLimitIsARateLimitedErrorWithTheTimeToMidnightOnceAsync);

    private async Task AnExhaustedDailyLimitIsARateLimitedErrorWithTheTimeToMidnightOnceAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(TenantTier.Free, cancellationToken);

        // A free tenant has 500 calls a day: spend them all, a few at a time.
        await Parallel.ForAsync(0, 500, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (_, token) => await tenant.Client.GetUsageAsync(token));

        var started = TimeProvider.System.GetTimestamp();
        var limited = await Assert.ThrowsAsync<RateLimitedException>(() => tenant.Client.GetUsageAsync(cancellationToken));
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal(MnemoraErrorCodes.RateLimited, limited.Code);
        var now = TimeProvider.System.GetUtcNow();
        var untilMidnight = now.Date.AddDays(1) - now.UtcDateTime;
        Assert.NotNull(limited.RetryAfter);
        Assert.InRange(limited.RetryAfter.Value, untilMidnight - TimeSpan.FromMinutes(1), untilMidnight + TimeSpan.FromMinutes(1));
        // A wait that long is not waited out: the call fails rather than retrying (the bound tells failing from waiting, it is no latency target).
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"The refused call took {elapsed}.");

        var details = await system.Operator.GetTenantAsync(tenant.TenantId, cancellationToken);
        Assert.Equal(500, details.Usage.ApiCallsToday);
    }
}
