using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mnemora.Storage;
using Mnemora.Storage.Memory;
using Mnemora.Testing;

namespace Mnemora.Benchmarks;

/// <summary>The running system (started the way the AppHost starts it) and ways to reach it.</summary>
internal sealed class BenchmarkContext : IAsyncDisposable
{
    private readonly DirectoryInfo _data;

    private BenchmarkContext(DistributedApplication app, DirectoryInfo data, string operatorKey)
    {
        App = app;
        _data = data;
        OperatorKey = operatorKey;
    }

    public DistributedApplication App { get; }

    public string OperatorKey { get; }

    public static async Task<BenchmarkContext> StartAsync(IReadOnlyList<string> systemArguments)
    {
        var data = MnemoraSystem.CreateDataDirectory("mnemora-bench-");
        var operatorKey = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        Console.WriteLine($"Starting the system (process mode, data in {data.FullName}) ...");
        var app = await MnemoraSystem.StartAsync(data.FullName, operatorKey, ["--Mnemora:Tiering:Interval=01:00:00", .. systemArguments]);
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, Release={!IsDebug()}");
        Console.WriteLine(Measurement.Header);
        return new BenchmarkContext(app, data, operatorKey);
    }

    /// <summary>A plain client to the API: not the testing host's, whose handlers log every request (which would be measured too).</summary>
    public HttpClient CreateApiClient() => new() { BaseAddress = App.GetEndpoint("api", "http") };

    /// <summary>
    /// The API's own address (its first <c>ASPNETCORE_URLS</c>), behind no endpoint proxy: the AppHost's proxy is a
    /// development convenience with a cost of its own per call, which a deployment does not have.
    /// </summary>
    public async Task<Uri> DirectApiAddressAsync(CancellationToken cancellationToken)
    {
        var api = await App.ResourceNotifications.WaitForResourceAsync("api",
            e => e.Snapshot.EnvironmentVariables.Any(v => v.Name == "ASPNETCORE_URLS" && !string.IsNullOrEmpty(v.Value)), cancellationToken);
        return new Uri(api.Snapshot.EnvironmentVariables.First(v => v.Name == "ASPNETCORE_URLS").Value!.Split(';')[0]);
    }

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}.");

    /// <summary>Creates a tenant and a key through the operator API; the client sends that key.</summary>
    public async Task<(string TenantId, HttpClient Client)> CreateTenantAsync(string tier = "scale", CancellationToken cancellationToken = default)
    {
        var tenantId = $"bench-{Guid.NewGuid():N}";
        using var admin = CreateApiClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        (await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name = tenantId, tier }, cancellationToken)).EnsureSuccessStatusCode();
        var issued = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "bench" }, cancellationToken);
        issued.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await issued.Content.ReadAsStringAsync(cancellationToken));
        var key = body.RootElement.GetProperty("data").GetProperty("api_key").GetString();

        var client = CreateApiClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return (tenantId, client);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        MnemoraSystem.DeleteDataDirectory(_data);
    }

    private static bool IsDebug()
    {
#if DEBUG
        return true;
#else
        return false;
#endif
    }

    /// <summary>The stores' clients as a service replica registers them (memory stores included), pointed at the running system.</summary>
    public async Task<IHost> StartStoreHostAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:postgres"] = await ConnectionStringAsync("postgres"),
            ["ConnectionStrings:dynamodb"] = await ConnectionStringAsync("dynamodb"),
            ["ConnectionStrings:s3"] = await ConnectionStringAsync("s3"),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddMnemoraStorage(provision: false);
        builder.Services.AddMemoryStores();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
