using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

[assembly: AssemblyFixture(typeof(Mnemora.Api.Tests.Infrastructure.MnemoraApp))]

namespace Mnemora.Api.Tests.Infrastructure;

/// <summary>
/// The whole system as the AppHost starts it (process mode: PostgreSQL + pgvector, dynalite,
/// s3rver), once per test assembly, with its data in a fresh temporary directory.
/// </summary>
public sealed class MnemoraApp : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private DirectoryInfo? _data;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The operator key passed to the AppHost as its <c>operator-key</c> parameter.</summary>
    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    public async ValueTask InitializeAsync()
    {
        _data = CreateDataDirectory("mnemora-test-");
        App = await StartAsync(_data.FullName, OperatorKey, extraArgs: []);
    }

    /// <summary>Starts the AppHost in process mode and waits until every service is healthy.</summary>
    public static async Task<DistributedApplication> StartAsync(string dataDirectory, string operatorKey, string[] extraArgs)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        string[] args =
        [
            "--Mnemora:Infrastructure=processes",
            $"--Mnemora:DataDirectory={dataDirectory}",
            $"--Parameters:operator-key={operatorKey}",
            "--Parameters:dashboard-password=test-dashboard-password",
            "--Parameters:postgres-password=TestPostgresPassword1",
            .. extraArgs,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Mnemora_AppHost>(
            args,
            (options, _) => options.DisableDashboard = true,
            cts.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));

        var app = await builder.BuildAsync(cts.Token);
        await app.StartAsync(cts.Token);
        foreach (var resource in (string[])["postgres", "dynamodb", "s3", "api", "tiering", "dashboard"])
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
        }

        return app;
    }

    /// <summary>A fresh data directory that the <c>postgres</c> user (the server refuses root) can traverse.</summary>
    public static DirectoryInfo CreateDataDirectory(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix);
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        return directory;
    }

    public HttpClient CreateApiClient() => App.CreateHttpClient("api", "http");

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}.");

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        try
        {
            _data?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean; a failed cleanup is no test failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
