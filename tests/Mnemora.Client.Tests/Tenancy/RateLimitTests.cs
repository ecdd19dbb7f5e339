using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Tenancy;

public sealed class RateLimitTests(MnemoraApp system)
{
    [Fact]
    public async Task AnExhaustedDailyLimitIsARateLimitedErrorWithTheTimeToMidnight()
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
        var untilMidnight = DateTime.UtcNow.Date.AddDays(1) - DateTime.UtcNow;
        Assert.NotNull(limited.RetryAfter);
        Assert.InRange(limited.RetryAfter.Value, untilMidnight - TimeSpan.FromMinutes(1), untilMidnight + TimeSpan.FromMinutes(1));
        // A wait that long is not waited out: the call fails at once rather than retrying.
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"The refused call took {elapsed}.");

        var details = await system.Operator.GetTenantAsync(tenant.TenantId, cancellationToken);
        Assert.Equal(500, details.Usage.ApiCallsToday);
    }
}
