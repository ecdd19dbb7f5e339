using Microsoft.Extensions.Options;
using Npgsql;

namespace Mnemora.Api.Storage.Semantic;

/// <summary>
/// Gives the <c>mnemora_app</c> role LOGIN and the configured password, as the owner of the
/// <c>postgres</c> connection string; retried until PostgreSQL answers. The migration creates the
/// role and its grants; this step only makes it usable, and is idempotent.
/// </summary>
internal sealed partial class AppRoleProvisioner(
    NpgsqlDataSource ownerDataSource,
    IOptions<TenantDatabaseOptions> options,
    ILogger<AppRoleProvisioner> logger) : BackgroundService
{
    // The migrator's lock: role changes and migrations never interleave, across replicas too.
    private const long MigrationLockId = 0x4D4E_4D52_4D49_4752;
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(10);

    // The password travels as a bind parameter into a transaction-local setting; format('%L') quotes
    // it inside the server, so no password text is ever spliced into SQL here. Changing SUPERUSER or
    // BYPASSRLS needs a true superuser (Aurora's master user is not), so they are checked, not set.
    private const string SetPasswordSql = "SELECT set_config('mnemora.app_password', @password, true)";
    private const string EnsureRoleSql = $"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SemanticSchema.AppRole}') THEN
                EXECUTE format('CREATE ROLE {SemanticSchema.AppRole} LOGIN NOINHERIT PASSWORD %L', current_setting('mnemora.app_password'));
            ELSE
                EXECUTE format('ALTER ROLE {SemanticSchema.AppRole} LOGIN PASSWORD %L', current_setting('mnemora.app_password'));
            END IF;
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SemanticSchema.AppRole}' AND (rolsuper OR rolbypassrls)) THEN
                RAISE EXCEPTION 'Role {SemanticSchema.AppRole} is a superuser or BYPASSRLS: row-level security would not bind it.';
            END IF;
        END
        $$
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await EnsureRoleAsync(stoppingToken);
                LogReady(SemanticSchema.AppRole);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogRetrying(ex, SemanticSchema.AppRole, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxBackoff.Ticks));
            }
        }
    }

    private async Task EnsureRoleAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ownerDataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@id)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("id", MigrationLockId);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var setPassword = new NpgsqlBatchCommand(SetPasswordSql);
            setPassword.Parameters.AddWithValue("password", options.Value.AppPassword);
            batch.BatchCommands.Add(setPassword);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(EnsureRoleSql));
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "PostgreSQL role {Role} is ready")]
    private partial void LogReady(string role);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Could not prepare PostgreSQL role {Role} yet; retrying in {Delay}")]
    private partial void LogRetrying(Exception exception, string role, TimeSpan delay);
}
