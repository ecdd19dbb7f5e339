using Aspire.Hosting.ApplicationModel;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Foundation;

/// <summary>
/// Stops each store of a system of its own (one for the class: each case starts its store again and waits
/// for health before it ends), and watches the API say so and then recover without a restart.
/// </summary>
public sealed class StoreOutageTests(StoreOutageTests.OutageSystem system) : IClassFixture<StoreOutageTests.OutageSystem>
{
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(60);

    /// <summary>A system of this class's own, since its cases stop stores that other tests need.</summary>
    public sealed class OutageSystem : IAsyncLifetime
    {
        public MnemoraApp Mnemora { get; } = new();

        public ValueTask InitializeAsync() => Mnemora.InitializeAsync();

        public ValueTask DisposeAsync() => Mnemora.DisposeAsync();
    }

    [Theory]
    [InlineData("dynamodb")]
    [InlineData("s3")]
    [InlineData("postgres")]
    public async Task HealthSaysWhichStoreIsDownAndRecoversWhenItReturns(string store)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var app = system.Mnemora.App;
        using var api = app.CreateHttpClient("api", "http");

        await app.ResourceCommands.ExecuteCommandAsync(store, KnownResourceCommands.StopCommand, cancellationToken);
        var down = await PollHealthAsync(api, HttpStatusCode.ServiceUnavailable, cancellationToken);
        var problem = await Envelope.ReadErrorAsync(down, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        var stores = problem.GetProperty("stores");
        Assert.Equal("down", stores.GetProperty(store).GetProperty("status").GetString());
        foreach (var other in stores.EnumerateObject().Where(s => s.Name != store))
        {
            Assert.Equal("up", other.Value.GetProperty("status").GetString());
        }

        await app.ResourceCommands.ExecuteCommandAsync(store, KnownResourceCommands.StartCommand, cancellationToken);
        var up = await PollHealthAsync(api, HttpStatusCode.OK, cancellationToken);
        var data = await Envelope.ReadDataAsync(up, HttpStatusCode.OK);
        Assert.Equal("up", data.GetProperty("stores").GetProperty(store).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ACallTheServiceFailsIsNotChargedToTheTenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var app = system.Mnemora.App;
        using var api = app.CreateHttpClient("api", "http");
        using var tenant = await system.Mnemora.CreateTenantAsync("free", cancellationToken);

        // Search needs PostgreSQL; the daily counter is in DynamoDB, which stays up.
        await app.ResourceCommands.ExecuteCommandAsync("postgres", KnownResourceCommands.StopCommand, cancellationToken);
        await PollHealthAsync(api, HttpStatusCode.ServiceUnavailable, cancellationToken);
        for (var i = 0; i < 3; i++)
        {
            using var search = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "the refund policy", agent_id = "support" }, cancellationToken);
            await Envelope.ReadErrorAsync(search, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        }

        await app.ResourceCommands.ExecuteCommandAsync("postgres", KnownResourceCommands.StartCommand, cancellationToken);
        await PollHealthAsync(api, HttpStatusCode.OK, cancellationToken);

        // The refused searches are given back (and so is a read that meets a connection the restart broke):
        // the read that succeeds is the tenant's first charged call today.
        var usage = await tenant.Client.GetAsync("/v1/usage", cancellationToken);
        for (var attempt = 1; usage.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 10; attempt++)
        {
            usage.Dispose();
            await Task.Delay(500, cancellationToken);
            usage = await tenant.Client.GetAsync("/v1/usage", cancellationToken);
        }

        using (usage)
        {
            var data = await Envelope.ReadDataAsync(usage, HttpStatusCode.OK);
            Assert.Equal(1, data.GetProperty("api_calls_today").GetInt64());
        }
    }

    private static async Task<HttpResponseMessage> PollHealthAsync(HttpClient api, HttpStatusCode wanted, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_settle);
        HttpStatusCode last = 0;
        while (true)
        {
            try
            {
                var response = await api.GetAsync("/v1/health", timeout.Token);
                if (response.StatusCode == wanted)
                {
                    return response;
                }

                last = response.StatusCode;
                response.Dispose();
                await Task.Delay(250, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"/v1/health did not answer {(int)wanted} within {s_settle}; last answer {(int)last}.");
            }
        }
    }
}
