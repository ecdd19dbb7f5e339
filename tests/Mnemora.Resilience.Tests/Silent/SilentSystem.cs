using System.Data.Common;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;

namespace Mnemora.Api.Tests.Silent;

[CollectionDefinition(Name)]
public sealed class SilentCollection : ICollectionFixture<SilentSystem>
{
    public const string Name = "Silent-store system";
}

/// <summary>
/// A system of the silent-store tests' own, whose API reaches each store through a <see cref="SilentProxy"/>
/// (its connection strings for postgres, dynamodb and s3 point at the proxies); the tiering worker reaches the
/// stores directly, so episodes go cold while a proxy is silent too. The store timeouts are set here, so the
/// bound the tests assert follows from this configuration.
/// </summary>
public sealed class SilentSystem : IAsyncLifetime
{
    /// <summary>One DynamoDB or S3 attempt, and PostgreSQL's connect and statement limits, as configured here.</summary>
    public static readonly TimeSpan DynamoDbTimeout = TimeSpan.FromSeconds(1.5);
    public static readonly TimeSpan S3Timeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan PostgresConnectTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan PostgresCommandTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Episodes older than this move to S3 (the worker checks every second).</summary>
    public static readonly TimeSpan HotRetention = TimeSpan.FromSeconds(3);

    private DirectoryInfo? _data;

    public DistributedApplication App { get; private set; } = null!;

    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>The proxy in front of each store, by the store's resource name.</summary>
    public IReadOnlyDictionary<string, SilentProxy> Proxies { get; } = new Dictionary<string, SilentProxy>(StringComparer.Ordinal)
    {
        ["postgres"] = new(),
        ["dynamodb"] = new(),
        ["s3"] = new(),
    };

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-silent-");
        App = await MnemoraSystem.StartAsync(_data.FullName, OperatorKey,
            [
                $"--Mnemora:Stores:DynamoDbTimeout={DynamoDbTimeout}",
                $"--Mnemora:Stores:S3Timeout={S3Timeout}",
                $"--Mnemora:Postgres:ConnectTimeout={PostgresConnectTimeout}",
                $"--Mnemora:Postgres:CommandTimeout={PostgresCommandTimeout}",
                "--Mnemora:Tiering:Interval=00:00:01",
                $"--Mnemora:Tiering:HotRetention={HotRetention}",
            ],
            ThroughProxies);
    }

    /// <summary>Points the API's connection strings at the proxies, and each proxy at its store once the store's address is known.</summary>
    private void ThroughProxies(IDistributedApplicationTestingBuilder builder)
    {
        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "api");
        var stores = builder.Resources.OfType<IResourceWithConnectionString>().ToDictionary(r => r.Name, StringComparer.Ordinal);
        builder.CreateResourceBuilder(api).WithEnvironment(async context =>
        {
            foreach (var (name, proxy) in Proxies)
            {
                var direct = await stores[name].GetConnectionStringAsync(context.CancellationToken)
                    ?? throw new InvalidOperationException($"No connection string for {name}.");
                context.EnvironmentVariables[$"ConnectionStrings__{name}"] = Rewrite(name, direct, proxy);
            }
        });
    }

    /// <summary>The store's connection string with its address replaced by the proxy's (PostgreSQL: Host and Port; AWS: Endpoint).</summary>
    private static string Rewrite(string name, string direct, SilentProxy proxy)
    {
        var connection = new DbConnectionStringBuilder { ConnectionString = direct };
        if (name == "postgres")
        {
            proxy.ForwardTo((string)connection["Host"], int.Parse((string)connection["Port"], System.Globalization.CultureInfo.InvariantCulture));
            connection["Host"] = "127.0.0.1";
            connection["Port"] = proxy.Port;
        }
        else
        {
            var endpoint = new Uri((string)connection["Endpoint"]);
            proxy.ForwardTo(endpoint.Host, endpoint.Port);
            connection["Endpoint"] = $"http://127.0.0.1:{proxy.Port}";
        }

        return connection.ConnectionString;
    }

    public HttpClient CreateApiClient(string? apiKey = null)
    {
        var client = App.CreateHttpClient("api", "http");
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>Creates a tenant of the tier and a key through <c>/admin/v1</c>; the client sends that key.</summary>
    public async Task<TestTenant> CreateTenantAsync(string tier, CancellationToken cancellationToken)
    {
        var tenantId = $"s-{Guid.NewGuid():N}";
        using var admin = CreateApiClient(OperatorKey);
        await Envelope.ReadDataAsync(await admin.PostAsJsonAsync("/admin/v1/tenants", new { tenant_id = tenantId, name = tenantId, tier }, cancellationToken), HttpStatusCode.Created);
        var issued = await admin.PostAsJsonAsync($"/admin/v1/tenants/{tenantId}/keys", new { name = "silent" }, cancellationToken);
        var key = (await Envelope.ReadDataAsync(issued, HttpStatusCode.Created)).GetProperty("api_key").GetString()!;
        return new TestTenant(tenantId, key, CreateApiClient(key));
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        foreach (var proxy in Proxies.Values)
        {
            await proxy.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}
