using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Mnemora.Testing;

[assembly: AssemblyFixture(typeof(Mnemora.Client.Tests.Infrastructure.MnemoraApp))]

namespace Mnemora.Client.Tests.Infrastructure;

/// <summary>
/// The whole system as the AppHost starts it (process mode), once per test assembly, and the SDK
/// registered the way an application registers it: <c>AddMnemoraClient</c> and <c>AddMnemoraOperatorClient</c>.
/// </summary>
public sealed class MnemoraApp : IAsyncLifetime
{
    private DirectoryInfo? _data;
    private ServiceProvider? _services;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The operator key passed to the AppHost as its <c>operator-key</c> parameter.</summary>
    public string OperatorKey { get; } = "op_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24));

    /// <summary>The API's root URL, as a client application is given it.</summary>
    public Uri ApiUrl { get; private set; } = null!;

    public IServiceProvider Services => _services!;

    public IMnemoraClientFactory Clients => Services.GetRequiredService<IMnemoraClientFactory>();

    public MnemoraOperatorClient Operator => Services.GetRequiredService<MnemoraOperatorClient>();

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-client-test-");
        App = await MnemoraSystem.StartAsync(_data.FullName, OperatorKey, extraArgs: []);
        ApiUrl = App.GetEndpoint("api", "http");

        var services = new ServiceCollection();
        services.AddMnemoraClient(options =>
        {
            options.BaseAddress = ApiUrl;
            options.Retry.BaseDelay = TimeSpan.FromMilliseconds(100);
        });
        services.AddMnemoraOperatorClient(options =>
        {
            options.BaseAddress = ApiUrl;
            options.OperatorKey = OperatorKey;
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>A fresh tenant (unique id) of the given tier with a key, created through the operator client, and a client that sends that key.</summary>
    public async Task<TestTenant> CreateTenantAsync(TenantTier tier = TenantTier.Free, CancellationToken cancellationToken = default)
    {
        var tenantId = $"t-{Guid.NewGuid():N}";
        await Operator.CreateTenantAsync(tenantId, $"Test {tenantId}", tier, cancellationToken);
        var key = await Operator.IssueKeyAsync(tenantId, "test", cancellationToken);
        return new TestTenant(tenantId, key.ApiKey, Clients.CreateClient(key.ApiKey));
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        MnemoraSystem.DeleteDataDirectory(_data);
    }
}

/// <summary>A tenant created for a test, and an SDK client that sends its key.</summary>
public sealed record TestTenant(string TenantId, string ApiKey, MnemoraClient Client);
