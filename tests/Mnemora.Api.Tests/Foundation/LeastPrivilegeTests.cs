using System.Data.Common;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage;
using Mnemora.Storage.Semantic;
using Npgsql;

namespace Mnemora.Api.Tests.Foundation;

/// <summary>Services hold only the PostgreSQL access they need: tenant paths the row-level-security role, the worker none.</summary>
public sealed class LeastPrivilegeTests(MnemoraApp system)
{
    [Fact]
    public async Task TheOwnerDataSourceIsNotAServiceAndTenantQueriesRunAsTheTenantRole()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // Registered as the API registers its stores, provisioning included (the step that uses the owner).
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(await StoreHost.SettingsAsync(system.App));
        builder.AddMnemoraStorage(provision: true);
        builder.AddMnemoraSemanticStore(provision: true);

        var connectable = builder.Services
            .Where(d => IsConnectable(d.ServiceType)
                || IsConnectable(d.IsKeyedService ? d.KeyedImplementationType : d.ImplementationType)
                || IsConnectable((d.IsKeyedService ? d.KeyedImplementationInstance : d.ImplementationInstance)?.GetType()))
            .Select(d => d.ServiceType.FullName)
            .ToList();
        Assert.True(connectable.Count == 0, $"A data source or connection is injectable: {string.Join(", ", connectable)}");
        using var host = builder.Build();
        Assert.Null(host.Services.GetService<NpgsqlDataSource>());
        Assert.Null(host.Services.GetService<DbDataSource>());

        var role = await host.Services.GetRequiredService<TenantDatabase>().ExecuteAsync("least-privilege", async (connection, transaction, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT current_user::text", connection, transaction);
            return (string)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);
        Assert.Equal(SemanticSchema.AppRole, role);
    }

    [Fact]
    public void TheTieringWorkerIsGivenNoPostgresConnectionString()
    {
        var model = system.App.Services.GetRequiredService<DistributedApplicationModel>();

        // A reference is what puts a store's connection string into a service's environment.
        Assert.Contains("postgres", References(model, "api"));
        Assert.Equal(["dynamodb", "s3"], References(model, "tiering").Order(StringComparer.Ordinal));
    }

    private static bool IsConnectable(Type? type) =>
        type is not null && (typeof(DbDataSource).IsAssignableFrom(type) || typeof(DbConnection).IsAssignableFrom(type));

    private static IEnumerable<string> References(DistributedApplicationModel model, string service) =>
        model.Resources.Single(r => r.Name == service).Annotations
            .OfType<ResourceRelationshipAnnotation>()
            .Where(a => a.Type == "Reference")
            .Select(a => a.Resource.Name)
            .Distinct(StringComparer.Ordinal);
}
