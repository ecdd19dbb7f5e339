using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Storage;
using Mnemora.Storage.Provisioning;

namespace Mnemora.Api.Tests.Infrastructure;

/// <summary>A host with Mnemora's store registrations, pointed at the running system's stores, for tests that look at a store directly.</summary>
public static class StoreHost
{
    public static async Task<IHost> CreateAsync(MnemoraApp system, CancellationToken cancellationToken)
    {
        var host = Build(await SettingsAsync(system), provision: false);
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>The connection strings of the running system's stores, as the services receive them.</summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(MnemoraApp system) => new()
    {
        ["ConnectionStrings:postgres"] = await system.ConnectionStringAsync("postgres"),
        ["ConnectionStrings:dynamodb"] = await system.ConnectionStringAsync("dynamodb"),
        ["ConnectionStrings:s3"] = await system.ConnectionStringAsync("s3"),
    };

    /// <summary>A host configured like a service replica; with <paramref name="provision"/> it can provision (not started).</summary>
    public static IHost Build(Dictionary<string, string?> settings, bool provision)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddMnemoraStorage(provision);
        if (provision)
        {
            builder.Services.AddSingleton<StoreProvisioner>();
        }

        return builder.Build();
    }
}
