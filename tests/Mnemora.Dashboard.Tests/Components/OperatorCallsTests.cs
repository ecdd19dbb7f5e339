namespace Mnemora.Dashboard.Tests.Components;

/// <summary>The dashboard's calls go through the SDK's operator client; failures become sentences for the page.</summary>
public sealed class OperatorCallsTests : IDisposable
{
    private readonly FakeOperatorApi _api = new();

    [Fact]
    public async Task UnwrapsTheDataEnvelope()
    {
        _api.Data(HttpMethod.Get, "/admin/v1/tenants", new { tenants = new[] { Samples.Tenant("acme", "Acme", "pro", callsToday: 5, limit: 25_000) } });

        var result = await _api.CreateCalls().RunAsync((c, ct) => c.ListTenantsAsync(ct), TestContext.Current.CancellationToken);

        var tenant = Assert.Single(result.Value!);
        Assert.Equal(("acme", Mnemora.Client.TenantTier.Pro, 5L, 25_000L), (tenant.TenantId, tenant.Tier, tenant.ApiCallsToday, tenant.DailyLimit));
    }

    [Fact]
    public async Task TurnsTheContractsErrorIntoItsCodeAndMessage()
    {
        _api.Problem(HttpMethod.Get, "/admin/v1/tenants/nope", HttpStatusCode.NotFound, "NOT_FOUND", "No tenant 'nope'.");

        var result = await _api.CreateCalls().RunAsync((c, ct) => c.GetTenantAsync("nope", ct), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(new("NOT_FOUND", "No tenant 'nope'.", 404), result.Error);
    }

    [Fact]
    public async Task EscapesIdsInThePath()
    {
        _api.NoContent(HttpMethod.Delete, "/admin/v1/tenants/a%3Ab%40c/keys/k%2F1");

        var result = await _api.CreateCalls().RunAsync((c, ct) => c.RevokeKeyAsync("a:b@c", "k/1", ct), TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task ARefusedOperatorKeySaysWhichSettingToCheck()
    {
        _api.Problem(HttpMethod.Get, "/admin/v1/tenants", HttpStatusCode.Unauthorized, "UNAUTHORIZED", "Invalid operator key.");

        var result = await _api.CreateCalls().RunAsync((c, ct) => c.ListTenantsAsync(ct), TestContext.Current.CancellationToken);

        Assert.Equal("UNAUTHORIZED", result.Error!.Code);
        Assert.Contains("operator-key", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerFailureWithoutABodyStillReadsAsASentence()
    {
        _api.Throw(HttpMethod.Get, "/admin/v1/tenants/acme", new TaskCanceledException("timeout"));

        var result = await _api.CreateCalls().RunAsync((c, ct) => c.GetTenantAsync("acme", ct), TestContext.Current.CancellationToken);

        Assert.Equal("UNREACHABLE", result.Error!.Code);
        Assert.Contains("did not answer in time", result.Error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _api.Dispose();
}
