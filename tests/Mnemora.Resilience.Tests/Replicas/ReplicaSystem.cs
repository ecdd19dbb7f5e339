using System.Net.Http.Headers;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Replicas;

[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaSystem>
{
    public const string Name = "Replica system";
}

/// <summary>
/// The system with two API replicas (<c>Mnemora:ApiReplicas=2</c>), so with the Redis they share
/// their limits in, started as the AppHost starts it. Tests call each replica straight at its own
/// port, so that which replica serves a call is decided by the test, not by the endpoint proxy.
/// </summary>
public sealed class ReplicaSystem : IAsyncLifetime
{
    public const int Replicas = 2;

    /// <summary>The starter tier's bucket, as the burst test drives it: 25 a second, bursts of 50.</summary>
    public const int StarterPerSecond = 25;
    public const int StarterBurst = 50;

    /// <summary>Lookups one client may spend on keys not known to be valid (the default) before it is refused.</summary>
    public const int ClientKeyBurst = 100;

    private DirectoryInfo? _data;
    private IReadOnlyList<string> _replicaIds = [];

    public DistributedApplication App { get; private set; } = null!;

    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>Each replica's own address (not the endpoint proxy's).</summary>
    public IReadOnlyList<Uri> ReplicaUrls { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-replicas-");
        App = await MnemoraSystem.StartAsync(_data.FullName, OperatorKey,
        [
            $"--Mnemora:ApiReplicas={Replicas}",
            "--Mnemora:BurstLimits:Enabled=true",
            // The daily-quota test floods a free tenant to its last call: its bucket must not be what refuses it.
            "--Mnemora:BurstLimits:Free:RequestsPerSecond=100000",
            "--Mnemora:BurstLimits:Free:Burst=100000",
            "--Mnemora:BurstLimits:Free:Queue=0",
            // One lookup a minute after the burst: a flood's answers can be counted exactly.
            "--Mnemora:KeyGuard:ClientRefillPeriod=00:01:00",
            // Tests speak for a client address through loopback (the endpoint proxy's address plays the load balancer).
            "--Mnemora:ForwardedHeaders:KnownProxies:0=127.0.0.1",
            "--Mnemora:ForwardedHeaders:KnownProxies:1=::1",
        ]);
        ReplicaUrls = await WaitForReplicasAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Waits until every replica of the API is healthy and reads the port each listens on.</summary>
    private async Task<IReadOnlyList<Uri>> WaitForReplicasAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(MnemoraSystem.StartTimeout);
        var healthy = new Dictionary<string, Uri>();
        await foreach (var update in App.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name != "api" || update.Snapshot.HealthStatus != HealthStatus.Healthy
                || update.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value is not { Length: > 0 } urls)
            {
                continue;
            }

            healthy[update.ResourceId] = new Uri(urls.Split(';')[0]);
            if (healthy.Count == Replicas)
            {
                _replicaIds = [.. healthy.Keys];
                return [.. healthy.Values];
            }
        }

        throw new InvalidOperationException("The API's replicas did not all become healthy.");
    }

    /// <summary>A client of one replica; with <paramref name="forwardedFor"/> it speaks for that address through loopback.</summary>
    public HttpClient CreateReplicaClient(int replica, string? apiKey = null, string? forwardedFor = null)
    {
        var client = new HttpClient { BaseAddress = ReplicaUrls[replica] };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        if (forwardedFor is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }

        return client;
    }

    /// <summary>Creates a tenant of the tier and a key through the first replica's <c>/admin/v1</c>; returns the key.</summary>
    public async Task<(string TenantId, string KeyId, string ApiKey)> CreateTenantAsync(string tier, CancellationToken cancellationToken)
    {
        var tenantId = $"r-{Guid.NewGuid():N}";
        using var admin = CreateReplicaClient(0, OperatorKey);
        await Envelope.ReadDataAsync(await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name = tenantId, tier }, cancellationToken), HttpStatusCode.Created);
        var issued = await Envelope.ReadDataAsync(
            await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "replicas" }, cancellationToken), HttpStatusCode.Created);
        return (tenantId, issued.GetProperty("key_id").GetString()!, issued.GetProperty("api_key").GetString()!);
    }

    /// <summary>Stops the replicas' Redis and waits until its process has ended.</summary>
    public async Task StopRedisAsync(CancellationToken cancellationToken)
    {
        await App.ResourceCommands.ExecuteCommandAsync("redis", KnownResourceCommands.StopCommand, cancellationToken);
        await App.ResourceNotifications.WaitForResourceAsync("redis", KnownResourceStates.TerminalStates, cancellationToken);
    }

    /// <summary>
    /// Starts the replicas' Redis again and waits until every replica says it reconnected: until then a replica limits
    /// on its own, which the next test would see as a bucket per replica.
    /// </summary>
    public async Task StartRedisAsync(CancellationToken cancellationToken)
    {
        await App.ResourceCommands.ExecuteCommandAsync("redis", KnownResourceCommands.StartCommand, cancellationToken);
        await App.ResourceNotifications.WaitForResourceAsync("redis", KnownResourceStates.Running, cancellationToken);
        if (!await ApiLoggedAsync(RedisReconnected, cancellationToken, everyReplica: true))
        {
            throw new InvalidOperationException("The replicas did not reconnect to Redis within 30 s.");
        }
    }

    /// <summary>What a replica logs when its Redis connection is restored (RedisRateBuckets).</summary>
    public const string RedisReconnected = "Redis answers again";

    /// <summary>Whether any replica of the API (or every one) logged <paramref name="text"/> (waiting up to 30 s for its log to arrive).</summary>
    public async Task<bool> ApiLoggedAsync(string text, CancellationToken cancellationToken, bool everyReplica = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        try
        {
            var watches = _replicaIds.Select(async id =>
            {
                await foreach (var batch in logs.WatchAsync(id).WithCancellation(timeout.Token))
                {
                    if (batch.Any(line => line.Content.Contains(text, StringComparison.Ordinal)))
                    {
                        return;
                    }
                }
            }).ToList();
            await (everyReplica ? Task.WhenAll(watches) : Task.WhenAny(watches));
            return !timeout.IsCancellationRequested;
        }
        finally
        {
            await timeout.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}
