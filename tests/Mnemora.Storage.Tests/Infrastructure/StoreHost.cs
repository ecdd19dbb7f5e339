using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Storage.Provisioning;
using Mnemora.Storage.Semantic;
using Mnemora.Testing;

namespace Mnemora.Storage.Tests.Infrastructure;

/// <summary>A host with Mnemora's store registrations, pointed at the running system's stores, for tests that look at a store directly.</summary>
public static class StoreHost
{
    public static async Task<IHost> CreateAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var host = Build(await SettingsAsync(app), provision: false);
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>The connection strings of the running system's stores, as the services receive them.</summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(DistributedApplication app) => new()
    {
        ["ConnectionStrings:postgres"] = await app.GetConnectionStringAsync("postgres"),
        ["ConnectionStrings:dynamodb"] = await app.GetConnectionStringAsync("dynamodb"),
        ["ConnectionStrings:s3"] = await app.GetConnectionStringAsync("s3"),
        [$"{TenantDatabaseOptions.SectionName}:AppPassword"] = MnemoraSystem.PostgresAppPassword,
    };

    /// <summary>A host configured like a service replica; with <paramref name="provision"/> it can provision (not started).</summary>
    public static IHost Build(Dictionary<string, string?> settings, bool provision)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddMnemoraStorage(provision);
        builder.AddMnemoraSemanticStore(provision);
        if (provision)
        {
            builder.Services.AddSingleton<StoreProvisioner>();
        }

        return builder.Build();
    }
}
