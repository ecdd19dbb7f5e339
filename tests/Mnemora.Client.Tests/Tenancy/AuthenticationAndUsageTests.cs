using System.Text.RegularExpressions;
using Mnemora.Client.Tests.Infrastructure;

namespace Mnemora.Client.Tests.Tenancy;

public sealed partial class AuthenticationAndUsageTests(MnemoraApp system)
{
    [Fact]
    public async Task HealthReportsEveryStoreUp()
    {
        var health = await system.Clients.CreateClient("mnm_health_needs_no_key").GetHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal("healthy", health.Status);
        Assert.False(string.IsNullOrWhiteSpace(health.Version));
        Assert.All(health.Stores.Values, store => Assert.Equal("up", store.Status));
        Assert.Contains("postgres", health.Stores.Keys);
    }

    [Fact]
    public async Task UsageCountsTheTenantsCallsAgainstItsTier()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var tenant = await system.CreateTenantAsync(TenantTier.Free, cancellationToken);

        var first = await tenant.Client.GetUsageAsync(cancellationToken);
        var second = await tenant.Client.GetUsageAsync(cancellationToken);

        Assert.Equal(TenantTier.Free, first.Tier);
        Assert.Equal(500, first.DailyLimit);
        Assert.Equal(1, first.ApiCallsToday);
        Assert.Equal(2, second.ApiCallsToday);
        Assert.True(second.ApiCallsMonth >= 2);
        Assert.Matches(BillingPeriod(), first.BillingPeriod);
        Assert.NotNull(first.Storage);
    }

    [Fact]
    public async Task AnUnknownKeyIsAnAuthenticationError()
    {
        var client = system.Clients.CreateClient("mnm_" + new string('x', 40));

        var error = await Assert.ThrowsAsync<AuthenticationException>(() => client.GetUsageAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Equal(MnemoraErrorCodes.Unauthorized, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.RequestId));
    }

    [Fact]
    public async Task TheOperatorKeyOnTheTenantApiIsAnAuthenticationError()
    {
        var client = system.Clients.CreateClient(system.OperatorKey);

        await Assert.ThrowsAsync<AuthenticationException>(() => client.GetUsageAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void AClientWithoutAConfiguredKeyExplainsWhichSettingIsMissing()
    {
        Assert.SkipWhen(Environment.GetEnvironmentVariable("MNEMORA_API_KEY") is { Length: > 0 }, "MNEMORA_API_KEY is set in this environment, so a key is configured.");
        var error = Assert.Throws<InvalidOperationException>(() => system.Clients.CreateClient());

        Assert.Contains("MNEMORA_API_KEY", error.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}$")]
    private static partial Regex BillingPeriod();
}
