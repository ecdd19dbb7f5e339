using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Foundation;

/// <summary>Stops each store of a system of its own, and watches the API say so and then recover without a restart.</summary>
public sealed class StoreOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(60);
    private DirectoryInfo _data = null!;
    private DistributedApplication _app = null!;

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraApp.CreateDataDirectory("mnemora-outage-");
        _app = await MnemoraApp.StartAsync(_data.FullName, "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), []);
    }

    [Theory]
    [InlineData("dynamodb")]
    [InlineData("s3")]
    [InlineData("postgres")]
    public async Task HealthSaysWhichStoreIsDownAndRecoversWhenItReturns(string store)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var api = _app.CreateHttpClient("api", "http");

        await _app.ResourceCommands.ExecuteCommandAsync(store, KnownResourceCommands.StopCommand, cancellationToken);
        var down = await PollHealthAsync(api, HttpStatusCode.ServiceUnavailable, cancellationToken);
        var problem = await Envelope.ReadErrorAsync(down, HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        var stores = problem.GetProperty("stores");
        Assert.Equal("down", stores.GetProperty(store).GetProperty("status").GetString());
        foreach (var other in stores.EnumerateObject().Where(s => s.Name != store))
        {
            Assert.Equal("up", other.Value.GetProperty("status").GetString());
        }

        await _app.ResourceCommands.ExecuteCommandAsync(store, KnownResourceCommands.StartCommand, cancellationToken);
        var up = await PollHealthAsync(api, HttpStatusCode.OK, cancellationToken);
        var data = await Envelope.ReadDataAsync(up, HttpStatusCode.OK);
        Assert.Equal("up", data.GetProperty("stores").GetProperty(store).GetProperty("status").GetString());
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

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        MnemoraSystem.DeleteDataDirectory(_data);
    }
}
