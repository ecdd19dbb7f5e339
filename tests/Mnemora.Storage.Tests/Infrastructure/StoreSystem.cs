using Microsoft.Extensions.DependencyInjection;
using Mnemora.Storage.Provisioning;
using Mnemora.Testing;

[assembly: AssemblyFixture(typeof(Mnemora.Storage.Tests.Infrastructure.StoreSystem))]

namespace Mnemora.Storage.Tests.Infrastructure;

/// <summary>
/// The stores alone (PostgreSQL + pgvector, dynalite, s3rver), started the way the AppHost starts them,
/// once per test assembly, and provisioned by Mnemora.Storage's provisioner as the API does at its start.
/// </summary>
public sealed class StoreSystem : IAsyncLifetime
{
    private DirectoryInfo? _data;

    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _data = MnemoraSystem.CreateDataDirectory("mnemora-store-test-");
        App = await MnemoraSystem.StartStoresAsync(_data.FullName);
        using var provisioner = StoreHost.Build(await StoreHost.SettingsAsync(App), provision: true);
        await provisioner.Services.GetRequiredService<StoreProvisioner>().ProvisionOnceAsync(CancellationToken.None);
    }

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
