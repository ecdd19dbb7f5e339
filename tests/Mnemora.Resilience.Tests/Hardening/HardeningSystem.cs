using System.Net.Http.Headers;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Hardening;

[CollectionDefinition(Name)]
public sealed class HardeningCollection : ICollectionFixture<HardeningSystem>
{
    public const string Name = "Hardening system";
}

/// <summary>
/// A system of the hardening tests' own, because they stop stores and flood tenants: the
/// per-tenant burst limit on (the shared system turns it off for the daily-quota floods), a key
/// guard that refills slowly enough to count exactly, and a tiering worker with a short retention.
/// </summary>
public sealed class HardeningSystem : IAsyncLifetime
{
    /// <summary>Lookups one client may spend on keys not known to be valid (the default) before it is refused.</summary>
    public const int ClientKeyBurst = 100;

    /// <summary>Wrong operator keys one client may send (the default) before it is refused.</summary>
    public const int OperatorKeyBurst = 10;

    /// <summary>Episodes older than this move to S3 (the worker checks every second).</summary>
    public static readonly TimeSpan HotRetention = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(90);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _apiLog = new();
    private readonly CancellationTokenSource _stopWatching = new();
    private DirectoryInfo? _data;

    public DistributedApplication App { get; private set; } = null!;

    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-hardening-");
        App = await MnemoraSystem.StartAsync(_data.FullName, OperatorKey,
        [
            // The store-fault tests hold every call under 15 s while a store stops: two attempts of each store call
            // must fit. Production's own bounds (1.5 s, 2 s) are the silent-store suite's to test; under this suite's
            // load on two cores a restarted emulator can take longer than those to answer at first.
            "--Mnemora:Stores:DynamoDbTimeout=00:00:03",
            "--Mnemora:Stores:S3Timeout=00:00:04",
            "--Mnemora:Postgres:ConnectTimeout=00:00:03",
            "--Mnemora:Postgres:CommandTimeout=00:00:10",
            "--Mnemora:BurstLimits:Enabled=true",
            // One lookup (or wrong operator key) a minute after the burst: a flood's answers can be counted exactly.
            "--Mnemora:KeyGuard:ClientRefillPeriod=00:01:00",
            "--Mnemora:KeyGuard:OperatorRefillPeriod=00:01:00",
            // The AppHost's endpoint proxy (on loopback) plays the load balancer: its X-Forwarded-For names the client.
            // Nothing else is trusted, so a client connecting straight to the API from another address cannot.
            "--Mnemora:ForwardedHeaders:KnownProxies:0=127.0.0.1",
            "--Mnemora:ForwardedHeaders:KnownProxies:1=::1",
            "--Mnemora:Tiering:Interval=00:00:01",
            $"--Mnemora:Tiering:HotRetention={HotRetention}",
        ]);
        _ = WatchApiLogAsync(_stopWatching.Token);
    }

    /// <summary>The API's recent log lines that report failures, to explain an unexpected answer.</summary>
    public IReadOnlyList<string> ApiFailures => [.. _apiLog];

    private async Task WatchApiLogAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Logs are kept per resource instance (its DCP name, e.g. "api-abcd1234"), not per resource name.
            var api = await App.ResourceNotifications.WaitForResourceAsync("api", _ => true, cancellationToken);
            var logs = App.Services.GetRequiredService<ResourceLoggerService>();
            await foreach (var batch in logs.WatchAsync(api.ResourceId).WithCancellation(cancellationToken))
            {
                foreach (var line in batch.Where(l => l.IsErrorMessage || l.Content.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Content.Contains("Exception", StringComparison.Ordinal)))
                {
                    _apiLog.Enqueue(line.Content);
                    while (_apiLog.Count > 5000)
                    {
                        _apiLog.TryDequeue(out _);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A client of the API; with <paramref name="forwardedFor"/> it speaks for that address through a trusted (loopback) proxy.</summary>
    public HttpClient CreateApiClient(string? forwardedFor = null, string? apiKey = null)
    {
        var client = App.CreateHttpClient("api", "http");
        if (forwardedFor is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }

        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>Creates a tenant of the tier and a key through <c>/admin/v1</c>; the client sends that key.</summary>
    public async Task<TestTenant> CreateTenantAsync(string tier, CancellationToken cancellationToken, string? forwardedFor = null)
    {
        var tenantId = $"h-{Guid.NewGuid():N}";
        using var admin = CreateApiClient(apiKey: OperatorKey);
        await Envelope.ReadDataAsync(await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name = tenantId, tier }, cancellationToken), HttpStatusCode.Created);
        var issued = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "hardening" }, cancellationToken);
        var key = (await Envelope.ReadDataAsync(issued, HttpStatusCode.Created)).GetProperty("api_key").GetString()!;
        return new TestTenant(tenantId, key, CreateApiClient(forwardedFor, key));
    }

    /// <summary>The tenant's calls today as the operator sees them (reading it does not count as a tenant call).</summary>
    public async Task<long> CallsTodayAsync(string tenantId, CancellationToken cancellationToken)
    {
        using var admin = CreateApiClient(apiKey: OperatorKey);
        var tenant = await Envelope.ReadDataAsync(await admin.GetAsync($"/admin/v1/tenants/{tenantId}", cancellationToken), HttpStatusCode.OK);
        return tenant.GetProperty("usage").GetProperty("api_calls_today").GetInt64();
    }

    public Task StopAsync(string store, CancellationToken cancellationToken) =>
        App.ResourceCommands.ExecuteCommandAsync(store, KnownResourceCommands.StopCommand, cancellationToken);

    public Task StartAsync(string store, CancellationToken cancellationToken) =>
        App.ResourceCommands.ExecuteCommandAsync(store, KnownResourceCommands.StartCommand, cancellationToken);

    /// <summary>Polls <c>/v1/health</c> until the store is reported up (or down), within a bounded time.</summary>
    public async Task WaitForStoreAsync(string store, bool up, CancellationToken cancellationToken)
    {
        using var api = CreateApiClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_settle);
        var last = "";
        try
        {
            while (true)
            {
                using var response = await api.GetAsync("/v1/health", timeout.Token);
                last = await response.Content.ReadAsStringAsync(timeout.Token);
                using var body = System.Text.Json.JsonDocument.Parse(last);
                var root = body.RootElement;
                var stores = root.TryGetProperty("data", out var data) ? data.GetProperty("stores") : root.GetProperty("stores");
                var status = stores.GetProperty(store).GetProperty("status").GetString();
                if (status == (up ? "up" : "down") && (!up || response.IsSuccessStatusCode))
                {
                    return;
                }

                await Task.Delay(250, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"{store} was not reported {(up ? "up" : "down")} within {s_settle}; last health: {last}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopWatching.CancelAsync();
        _stopWatching.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}
