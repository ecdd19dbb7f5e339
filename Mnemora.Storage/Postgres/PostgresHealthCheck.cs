using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mnemora.Storage.Provisioning;
using Mnemora.Storage.Semantic;
using Npgsql;

namespace Mnemora.Storage.Postgres;

/// <summary>PostgreSQL as <c>/v1/health</c> reports it: reachable as the tenant role, with pgvector installed.</summary>
internal sealed class PostgresHealthCheck(TenantDatabase database, PostgresProvisioner? provisioner = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (provisioner is { Provisioned.IsCompleted: false })
        {
            return NotProvisioned;
        }

        try
        {
            await using var command = database.DataSource.CreateCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
            return await command.ExecuteScalarAsync(cancellationToken) is string
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The schema is not provisioned yet.");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            // The start-up step has not made the tenant role usable yet.
            return HealthCheckResult.Unhealthy("The tenant role is not provisioned yet.", ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.", ex);
        }
    }

    /// <summary>What both checks say while this process's start-up step has not provisioned the schema and the role.</summary>
    internal static HealthCheckResult NotProvisioned { get; } = HealthCheckResult.Unhealthy("The schema and the tenant role are not provisioned yet.");
}

/// <summary>
/// Ready when the tenant role can log in and read the table, and sees nothing without a tenant:
/// the API serves semantic memory only when row-level security is in force.
/// </summary>
internal sealed class TenantDatabaseHealthCheck(TenantDatabase database, PostgresProvisioner? provisioner = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (provisioner is { Provisioned.IsCompleted: false })
        {
            return PostgresHealthCheck.NotProvisioned;
        }

        try
        {
            await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM (SELECT 1 FROM semantic_memory WHERE deleted_at IS NULL LIMIT 1) visible");
            return await command.ExecuteScalarAsync(cancellationToken) is 0L
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The tenant role sees rows without a tenant setting: row-level security is not in force.");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The tenant role cannot query semantic memory yet.", ex);
        }
    }
}
