using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Mnemora.Storage.Postgres;

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
            return await command.ExecuteScalarAsync(cancellationToken) is string
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The schema is not provisioned yet.");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.", ex);
        }
    }
}
