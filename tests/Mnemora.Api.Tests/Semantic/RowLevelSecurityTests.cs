using Mnemora.Api.Tests.Infrastructure;
using Npgsql;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>
/// Row-level security on its own: these queries log in as the API's tenant role and leave out the
/// tenant predicate the API always adds, so only the policies keep tenants apart.
/// </summary>
public sealed class RowLevelSecurityTests(MnemoraApp system)
{
    [Fact]
    public async Task WithTenantASetAQueryWithoutTenantPredicateSeesNoneOfTenantBsRows()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var (a, b) = (NewTenant(), NewTenant());
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        await SemanticDatabase.InsertAsOwnerAsync(owner, a, "agent", "A's fact", cancellationToken);
        await SemanticDatabase.InsertAsOwnerAsync(owner, b, "agent", "B's fact", cancellationToken);

        await using var tenantRole = await SemanticDatabase.TenantRoleAsync(system);
        await using var connection = await tenantRole.OpenConnectionAsync(cancellationToken);
        var visible = await SemanticDatabase.VisibleTenantsAsync(connection, a, cancellationToken);

        Assert.Equal([a], visible);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task WithoutATenantSettingTheTenantRoleSeesNothing(string? setting)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        await SemanticDatabase.InsertAsOwnerAsync(owner, NewTenant(), "agent", "a fact", cancellationToken);

        await using var tenantRole = await SemanticDatabase.TenantRoleAsync(system);
        await using var connection = await tenantRole.OpenConnectionAsync(cancellationToken);

        Assert.Empty(await SemanticDatabase.VisibleTenantsAsync(connection, setting, cancellationToken));
        await using var count = new NpgsqlCommand("SELECT count(*) FROM semantic_tenant_totals", connection);
        Assert.Equal(0L, await count.ExecuteScalarAsync(cancellationToken));
    }

    [Fact]
    public async Task APooledConnectionCarriesNoTenantIntoTheNextTransaction()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var (a, b) = (NewTenant(), NewTenant());
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        await SemanticDatabase.InsertAsOwnerAsync(owner, a, "agent", "A's fact", cancellationToken);
        await SemanticDatabase.InsertAsOwnerAsync(owner, b, "agent", "B's fact", cancellationToken);

        // One physical connection, so the second request surely reuses the first one's.
        await using var tenantRole = await SemanticDatabase.TenantRoleAsync(system, maxPoolSize: 1);
        int firstBackend;
        await using (var first = await tenantRole.OpenConnectionAsync(cancellationToken))
        {
            firstBackend = first.ProcessID;
            Assert.Equal([a], await SemanticDatabase.VisibleTenantsAsync(first, a, cancellationToken));
        }

        await using var second = await tenantRole.OpenConnectionAsync(cancellationToken);
        Assert.Equal(firstBackend, second.ProcessID);
        Assert.Empty(await SemanticDatabase.VisibleTenantsAsync(second, tenantSetting: null, cancellationToken));
        Assert.Equal([b], await SemanticDatabase.VisibleTenantsAsync(second, b, cancellationToken));
    }

    [Fact]
    public async Task TheTenantRoleCannotWriteOrMoveRowsIntoAnotherTenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var (a, b) = (NewTenant(), NewTenant());
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        var id = await SemanticDatabase.InsertAsOwnerAsync(owner, a, "agent", "A's fact", cancellationToken);

        await using var tenantRole = await SemanticDatabase.TenantRoleAsync(system);
        await using var connection = await tenantRole.OpenConnectionAsync(cancellationToken);

        var insert = await Assert.ThrowsAsync<PostgresException>(() => AsTenantAsync(connection, a,
            """
            INSERT INTO semantic_memory (id, tenant_id, agent_id, namespace, content, embedding, stored_bytes)
            VALUES (gen_random_uuid(), @other, 'agent', 'default', 'planted', array_fill(0.1, ARRAY[384])::vector, 0)
            """, b, cancellationToken));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);

        var move = await Assert.ThrowsAsync<PostgresException>(() => AsTenantAsync(connection, a,
            $"UPDATE semantic_memory SET tenant_id = @other WHERE id = '{id}'", b, cancellationToken));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, move.SqlState);

        // B cannot touch A's row: the update and delete match nothing.
        Assert.Equal(0, await AsTenantAsync(connection, b, $"UPDATE semantic_memory SET content = 'changed' WHERE id = '{id}' AND content <> @other", "x", cancellationToken));
        Assert.Equal(0, await AsTenantAsync(connection, b, $"DELETE FROM semantic_memory WHERE id = '{id}' AND tenant_id <> @other", "x", cancellationToken));
        await using var check = owner.CreateCommand($"SELECT content FROM semantic_memory WHERE id = '{id}'");
        Assert.Equal("A's fact", await check.ExecuteScalarAsync(cancellationToken));
    }

    [Fact]
    public async Task TheTenantRoleIsNeitherOwnerNorSuperuserNorBypassRlsAndCannotTurnSecurityOff()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        await using (var role = owner.CreateCommand(
            """
            SELECT r.rolsuper, r.rolbypassrls, pg_get_userbyid(c.relowner) = r.rolname, c.relrowsecurity, c.relforcerowsecurity
            FROM pg_roles r, pg_class c WHERE r.rolname = 'mnemora_app' AND c.oid = 'semantic_memory'::regclass
            """))
        await using (var reader = await role.ExecuteReaderAsync(cancellationToken))
        {
            Assert.True(await reader.ReadAsync(cancellationToken));
            Assert.False(reader.GetBoolean(0), "superuser");
            Assert.False(reader.GetBoolean(1), "BYPASSRLS");
            Assert.False(reader.GetBoolean(2), "owner");
            Assert.True(reader.GetBoolean(3), "ENABLE ROW LEVEL SECURITY");
            Assert.True(reader.GetBoolean(4), "FORCE ROW LEVEL SECURITY");
        }

        await using var tenantRole = await SemanticDatabase.TenantRoleAsync(system);
        await using var connection = await tenantRole.OpenConnectionAsync(cancellationToken);
        foreach (var sql in (string[])[
            "ALTER TABLE semantic_memory DISABLE ROW LEVEL SECURITY",
            "ALTER TABLE semantic_memory NO FORCE ROW LEVEL SECURITY",
            "DROP POLICY tenant_isolation ON semantic_memory",
            "TRUNCATE semantic_memory",
            "SET row_security = off; SELECT 1 FROM semantic_memory",
            "SET ROLE postgres"])
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(cancellationToken));
            Assert.True(refused.SqlState is PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {refused.SqlState} {refused.MessageText}");
        }
    }

    private static async Task<int> AsTenantAsync(NpgsqlConnection connection, string tenant, string sql, string other, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', @tenant, true)", connection, transaction))
        {
            set.Parameters.AddWithValue("tenant", tenant);
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("other", other);
        var affected = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return affected;
    }

    private static string NewTenant() => $"t-{Guid.NewGuid():N}";
}
