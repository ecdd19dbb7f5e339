using Mnemora.Storage.Postgres;
using Npgsql;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// Gives the <c>mnemora_app</c> role LOGIN and the configured password, as the owner of the
/// <c>postgres</c> connection string, at start (<see cref="Provisioning.PostgresProvisioner"/>). The migration
/// creates the role and its grants; this step only makes it usable, and is idempotent.
/// </summary>
internal static class AppRoleProvisioner
{
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

    public static async Task EnsureRoleAsync(NpgsqlDataSource owner, string password, CancellationToken cancellationToken)
    {
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@id)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("id", PostgresMigrator.MigrationLockId);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var setPassword = new NpgsqlBatchCommand(SetPasswordSql);
            setPassword.Parameters.AddWithValue("password", password);
            batch.BatchCommands.Add(setPassword);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(EnsureRoleSql));
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
