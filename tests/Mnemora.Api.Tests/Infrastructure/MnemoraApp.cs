using System.Security.Cryptography;
using Mnemora.Testing;

[assembly: AssemblyFixture(typeof(Mnemora.Api.Tests.Infrastructure.MnemoraApp))]

namespace Mnemora.Api.Tests.Infrastructure;

/// <summary>
/// The whole system as the AppHost starts it (process mode: PostgreSQL + pgvector, dynalite,
/// s3rver), once per test assembly, with its data in a fresh temporary directory.
/// </summary>
public sealed class MnemoraApp : IAsyncLifetime
{
    private DirectoryInfo? _data;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The operator key passed to the AppHost as its <c>operator-key</c> parameter.</summary>
    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    public async ValueTask InitializeAsync()
    {
        _data = CreateDataDirectory("mnemora-test-");
        // The expiry sweep runs often, so a test sees an expired memory removed within seconds; a tenant has one
        // heavy call at a time on any machine, as on a two-core one, and its next ones wait a minute for it (a test
        // queues several behind one export on a busy machine).
        App = await StartAsync(_data.FullName, OperatorKey,
            extraArgs: ["--Mnemora:SemanticExpiry:Interval=00:00:02", "--Mnemora:HeavyCalls:PerTenant=1", "--Mnemora:HeavyCalls:Wait=00:01:00"]);
    }

    /// <summary>Starts the AppHost in process mode and waits until every service is healthy.</summary>
    public static Task<DistributedApplication> StartAsync(string dataDirectory, string operatorKey, string[] extraArgs) =>
        MnemoraSystem.StartAsync(dataDirectory, operatorKey, extraArgs);

    public static DirectoryInfo CreateDataDirectory(string prefix) => MnemoraSystem.CreateDataDirectory(prefix);

    public HttpClient CreateApiClient() => App.CreateHttpClient("api", "http");

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}.");

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}
