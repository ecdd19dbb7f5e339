using Npgsql;

namespace Mnemora.Storage.Semantic;

/// <summary>
/// PostgreSQL as a tenant sees it: connections as <c>mnemora_app</c>, which row-level security binds,
/// and every unit of work in a transaction whose first statement sets <c>app.tenant_id</c>
/// transaction-locally. When the transaction ends the setting is gone, so a pooled connection never
/// carries one tenant into the next request. A tenant holds at most <see cref="TenantDatabaseOptions.MaxConnectionsPerTenant"/>
/// of the pool's connections at once (<see cref="TenantShare"/>): a tenant's flood of searches or an import waits on
/// its own share, and every other tenant still finds connections.
/// </summary>
public sealed class TenantDatabase(NpgsqlDataSource dataSource, TenantShare share) : IAsyncDisposable
{
    /// <summary>The data source of the tenant role; use it only through <see cref="ExecuteAsync{T}"/>.</summary>
    internal NpgsqlDataSource DataSource => dataSource;

    /// <summary>Runs <paramref name="work"/> in a transaction scoped to <paramref name="tenantId"/>, and commits it.</summary>
    public async Task<T> ExecuteAsync<T>(
        string tenantId,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        using var place = await share.EnterAsync(tenantId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var scope = new NpgsqlCommand($"SELECT set_config('{SemanticSchema.TenantSetting}', @tenant, true)", connection, transaction))
        {
            scope.Parameters.AddWithValue("tenant", tenantId);
            await scope.ExecuteNonQueryAsync(cancellationToken);
        }

        var result = await work(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
