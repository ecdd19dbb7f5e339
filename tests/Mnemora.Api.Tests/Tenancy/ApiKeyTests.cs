using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Tenancy;

public sealed class ApiKeyTests(MnemoraApp system)
{
    [Fact]
    public async Task AnIssuedKeyAuthenticatesItsTenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("starter", cancellationToken);

        var usage = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);

        Assert.Equal("starter", usage.GetProperty("tier").GetString());
        Assert.Equal(5_000, usage.GetProperty("daily_limit").GetInt64());
        Assert.Equal(1, usage.GetProperty("api_calls_today").GetInt64());
        Assert.StartsWith("mnm_", tenant.ApiKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARequestWithoutAKeyIsUnauthorized()
    {
        using var api = system.CreateApiClient();

        await Envelope.ReadErrorAsync(await api.GetAsync("/v1/usage", TestContext.Current.CancellationToken), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }
}
