using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mnemora.Storage.Postgres;
using Mnemora.Storage.Semantic;
using Npgsql;

namespace Mnemora.Storage.Provisioning;

/// <summary>
/// PostgreSQL's start-up step, run by <see cref="StoreProvisioner"/>: the migrations, then the tenant role's
/// login, as the owner of <c>ConnectionStrings:postgres</c>. The owner's data source is built for the step
/// and disposed after it; it is never a service, so no other code can query as the owner.
/// </summary>
public sealed class PostgresProvisioner(IConfiguration configuration, IOptions<TenantDatabaseOptions> options, ILoggerFactory loggerFactory)
{
    private readonly TaskCompletionSource _provisioned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Done once this process has provisioned the schema and the tenant role: until then the health checks and the
    /// background sweeps do not try to log in as a role that may not exist yet (each try is a FATAL line in the
    /// server's log).
    /// </summary>
    public Task Provisioned => _provisioned.Task;

    public async Task ProvisionAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(StorageExtensions.PostgresConnection))
        {
            ApplicationName = "mnemora-provisioning",
        };
        await using var owner = new NpgsqlDataSourceBuilder(connection.ConnectionString).UseLoggerFactory(loggerFactory).Build();
        await new PostgresMigrator(owner, loggerFactory.CreateLogger<PostgresProvisioner>()).MigrateAsync(cancellationToken);
        await AppRoleProvisioner.EnsureRoleAsync(owner, options.Value.AppPassword, cancellationToken);
        _provisioned.TrySetResult();
    }
}
