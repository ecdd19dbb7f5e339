using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mnemora.Testing;

/// <summary>
/// Starts the AppHost in process mode (PostgreSQL + pgvector, dynalite, s3rver as local
/// processes) with its data in a directory of the caller's, and waits until all is healthy.
/// </summary>
public static class MnemoraSystem
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(8);

    /// <summary>The password of <c>mnemora_app</c>, the role the API's tenant queries use (tests log in as it to prove row-level security).</summary>
    public const string PostgresAppPassword = "TestPostgresAppPassword1";

    /// <summary>The stores: healthy before a test or benchmark may use the system.</summary>
    private static readonly IReadOnlyList<string> StoreResources = ["postgres", "dynamodb", "s3"];

    /// <summary>The services a test or benchmark of the API needs: the operator dashboard is only the dashboard tests'.</summary>
    private static readonly IReadOnlyList<string> ApiServices = ["api", "tiering"];

    /// <summary>Every service of the AppHost.</summary>
    private static readonly IReadOnlyList<string> AllServices = ["api", "tiering", "dashboard"];

    /// <summary>
    /// Starts the stores, the API and the tiering worker as the AppHost does (without the operator dashboard, which
    /// only its own tests use: one process less per system); <c>extraArgs</c> is more AppHost configuration, e.g.
    /// <c>--Mnemora:Tiering:Interval=00:00:01</c> (a later value wins, so <c>--Mnemora:BurstLimits:Enabled=true</c> turns
    /// the burst limit back on).
    /// </summary>
    public static Task<DistributedApplication> StartAsync(string dataDirectory, string operatorKey, IEnumerable<string> extraArgs, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, operatorKey, extraArgs, ApiServices, configure: null, cancellationToken);

    /// <summary>
    /// Starts the system after <paramref name="configure"/> has changed the AppHost's model, e.g. a service's
    /// environment (the silent-store tests point the API's connection strings at proxies).
    /// </summary>
    public static Task<DistributedApplication> StartAsync(string dataDirectory, string operatorKey, IEnumerable<string> extraArgs, Action<IDistributedApplicationTestingBuilder> configure, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, operatorKey, extraArgs, ApiServices, configure, cancellationToken);

    /// <summary>Starts the whole system, the operator dashboard included.</summary>
    public static Task<DistributedApplication> StartWithDashboardAsync(string dataDirectory, string operatorKey, IEnumerable<string> extraArgs, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, operatorKey, extraArgs, AllServices, configure: null, cancellationToken);

    /// <summary>
    /// Starts only the AppHost's stores, as the AppHost starts them, without the services (nothing provisions
    /// them: the caller does, with Mnemora.Storage's provisioner, as the API does at start).
    /// </summary>
    public static Task<DistributedApplication> StartStoresAsync(string dataDirectory, CancellationToken cancellationToken = default) =>
        StartAsync(dataDirectory, "op_unused", [], services: [], configure: null, cancellationToken);

    private static async Task<DistributedApplication> StartAsync(
        string dataDirectory, string operatorKey, IEnumerable<string> extraArgs, IReadOnlyList<string> services, Action<IDistributedApplicationTestingBuilder>? configure,
        CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(StartTimeout);
        string[] args =
        [
            "--Mnemora:Infrastructure=processes",
            $"--Mnemora:DataDirectory={dataDirectory}",
            $"--Parameters:operator-key={operatorKey}",
            "--Parameters:dashboard-password=test-dashboard-password",
            "--Parameters:postgres-password=TestPostgresPassword1",
            $"--Parameters:postgres-app-password={PostgresAppPassword}",
            // Suites that flood one tenant on purpose (the daily quota, bursts of stores) measure other things;
            // the hardening tests and the noisy-neighbour benchmark turn the per-tenant burst limit back on.
            "--Mnemora:BurstLimits:Enabled=false",
            // Test projects run at once on two cores, where an emulator may take seconds to answer: a store call
            // that outlasts the production bound would be a 503 no test is about. The suites that test those bounds
            // pass their own; latency is the benchmarks' to measure.
            "--Mnemora:Stores:DynamoDbTimeout=00:00:15",
            "--Mnemora:Stores:S3Timeout=00:00:20",
            "--Mnemora:Postgres:ConnectTimeout=00:00:15",
            "--Mnemora:Postgres:CommandTimeout=00:00:30",
            .. extraArgs,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Mnemora_AppHost>(
            args,
            (options, _) => options.DisableDashboard = true,
            cts.Token);
        // Health checks fail by design while resources start; their logs would drown the output.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical)
            .AddFilter("Mnemora.AppHost.Resources", LogLevel.Warning));

        foreach (var service in builder.Resources.OfType<ProjectResource>().Where(r => !services.Contains(r.Name)).ToList())
        {
            builder.Resources.Remove(service);
        }

        // Without the Aspire dashboard nothing receives telemetry, yet the services are still told to export it to
        // localhost:4317: each then retries a refused export every second and waits ~5 s at shutdown to flush it.
        foreach (var service in builder.Resources.OfType<ProjectResource>())
        {
            service.Annotations.Add(new EnvironmentCallbackAnnotation(environment => environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }

        configure?.Invoke(builder);
        var app = await builder.BuildAsync(cts.Token);
        try
        {
            await app.StartAsync(cts.Token);
            foreach (var resource in StoreResources.Concat(services))
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
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

    /// <summary>Deletes a data directory; a failed cleanup is left to the OS.</summary>
    public static void DeleteDataDirectory(DirectoryInfo? directory)
    {
        try
        {
            directory?.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
