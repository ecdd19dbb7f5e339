using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mnemora.Storage.Postgres;

/// <summary>
/// Applies the embedded <c>Migrations/*.sql</c> scripts in name order, each once, in its own
/// transaction. A transaction-scoped advisory lock makes concurrent starts (two replicas) take turns.
/// Runs as the owner, at start only (<see cref="Provisioning.PostgresProvisioner"/>).
/// </summary>
internal sealed partial class PostgresMigrator(NpgsqlDataSource dataSource, ILogger logger)
{
    // Any constant unique to Mnemora; both replicas must use the same one. Role changes take it too.
    public const long MigrationLockId = 0x4D4E_4D52_4D49_4752;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(
            "CREATE TABLE IF NOT EXISTS mnemora_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", connection))
        {
            try
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
            {
                // Another replica created it at the same instant.
            }
        }

        foreach (var (name, sql) in Scripts())
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@id)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("id", MigrationLockId);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var check = new NpgsqlCommand("SELECT 1 FROM mnemora_migrations WHERE name = @name", connection, transaction))
            {
                check.Parameters.AddWithValue("name", name);
                if (await check.ExecuteScalarAsync(cancellationToken) is not null)
                {
                    continue;
                }
            }

            await using (var apply = new NpgsqlCommand(sql, connection, transaction))
            {
                await apply.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var record = new NpgsqlCommand("INSERT INTO mnemora_migrations (name) VALUES (@name)", connection, transaction))
            {
                record.Parameters.AddWithValue("name", name);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            LogApplied(name);
        }

        // Types created by a migration (vector) must be known to connections opened from now on.
        await connection.ReloadTypesAsync(cancellationToken);
    }

    private static IEnumerable<(string Name, string Sql)> Scripts()
    {
        var assembly = typeof(PostgresMigrator).Assembly;
        const string prefix = "Mnemora.Storage.Postgres.Migrations.";
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (resource[prefix.Length..], reader.ReadToEnd());
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Applied PostgreSQL migration {Name}")]
    private partial void LogApplied(string name);
}
