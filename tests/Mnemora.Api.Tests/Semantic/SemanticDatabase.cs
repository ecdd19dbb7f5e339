using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Testing;
using Npgsql;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>
/// PostgreSQL of the running system, reached two ways: as the owner (the migrations' role, which
/// bypasses row-level security) to arrange rows, and as <c>mnemora_app</c>, the API's tenant role.
/// </summary>
internal static class SemanticDatabase
{
    public const string AppRole = "mnemora_app";
    public const int Dimensions = 384;

    public static async Task<NpgsqlDataSource> OwnerAsync(MnemoraApp system) =>
        NpgsqlDataSource.Create(await system.ConnectionStringAsync("postgres"));

    /// <summary>A data source that logs in as the tenant role, with the AppHost's app password.</summary>
    public static async Task<NpgsqlDataSource> TenantRoleAsync(MnemoraApp system, int maxPoolSize = 10)
    {
        var connection = new NpgsqlConnectionStringBuilder(await system.ConnectionStringAsync("postgres"))
        {
            Username = AppRole,
            Password = MnemoraSystem.PostgresAppPassword,
            MaxPoolSize = maxPoolSize,
        };
        return NpgsqlDataSource.Create(connection.ConnectionString);
    }

    /// <summary>Inserts a live memory for any tenant, as the owner.</summary>
    public static async Task<Guid> InsertAsOwnerAsync(NpgsqlDataSource owner, string tenantId, string agentId, string content, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        await using var insert = owner.CreateCommand(
            """
            INSERT INTO semantic_memory (id, tenant_id, agent_id, namespace, content, embedding, stored_bytes)
            VALUES (@id, @tenant, @agent, 'default', @content, @embedding::vector, 0)
            """);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("tenant", tenantId);
        insert.Parameters.AddWithValue("agent", agentId);
        insert.Parameters.AddWithValue("content", content);
        insert.Parameters.AddWithValue("embedding", RandomUnitVector(Random.Shared));
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return id;
    }

    /// <summary>Every tenant id the query sees, in a transaction with the given tenant setting (none when null).</summary>
    public static async Task<List<string>> VisibleTenantsAsync(NpgsqlConnection connection, string? tenantSetting, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (tenantSetting is not null)
        {
            await using var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', @tenant, true)", connection, transaction);
            set.Parameters.AddWithValue("tenant", tenantSetting);
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        // Deliberately no tenant predicate: only row-level security stands between tenants here.
        await using var select = new NpgsqlCommand("SELECT tenant_id FROM semantic_memory", connection, transaction);
        var tenants = new List<string>();
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                tenants.Add(reader.GetString(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return tenants;
    }

    public static float[] RandomUnitVector(Random random)
    {
        var vector = new float[Dimensions];
        double norm = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
            norm += vector[i] * vector[i];
        }

        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }
}
