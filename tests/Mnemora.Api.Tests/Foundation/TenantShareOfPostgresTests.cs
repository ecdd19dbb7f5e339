using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage;
using Mnemora.Storage.Semantic;
using Npgsql;

namespace Mnemora.Api.Tests.Foundation;

/// <summary>
/// PostgreSQL as tenants share it, against the real server: a tenant holds at most its share of the pool's
/// connections (the rest stay for everyone else), and the server itself ends a runaway statement or a transaction
/// left idle, whatever became of the client.
/// </summary>
public sealed class TenantShareOfPostgresTests(MnemoraApp system)
{
    [Fact]
    public async Task ATenantHoldingItsShareOfConnectionsWaitsOnItselfWhileAnotherTenantIsServed()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var host = await BuildAsync(new()
        {
            ["Mnemora:Postgres:MaxConnectionsPerTenant"] = "2",
            // Long enough to open a connection on a loaded machine; it is also how long A's third call waits on A.
            ["Mnemora:Postgres:ConnectTimeout"] = "00:00:05",
        });
        var database = host.Services.GetRequiredService<TenantDatabase>();

        // Tenant A's two transactions stay open (each on its own connection) until the test lets them end.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var opened = Enumerable.Range(0, 2).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var holders = Enumerable.Range(0, 2).Select(i => database.ExecuteAsync("share-a", async (connection, transaction, ct) =>
        {
            var backend = await BackendAsync(connection, transaction, ct);
            opened[i].SetResult();
            await release.Task.WaitAsync(ct);
            return backend;
        }, cancellationToken)).ToList();
        var bothOpen = Task.WhenAll(opened.Select(o => o.Task));
        var holderEnded = Task.WhenAny(holders);
        if (await Task.WhenAny(bothOpen, holderEnded).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken) != bothOpen)
        {
            // A holder ended before both were open: its own failure says why.
            await await holderEnded;
            Assert.Fail("Tenant A's two transactions did not open.");
        }

        var refused = await Assert.ThrowsAsync<TenantBusyException>(() =>
            database.ExecuteAsync("share-a", BackendAsync, cancellationToken));
        Assert.Equal("postgres", refused.Resource);

        // Tenant B is served while A's share is used up: a connection of its own.
        var b = await database.ExecuteAsync("share-b", BackendAsync, cancellationToken);

        release.SetResult();
        var a = await Task.WhenAll(holders);
        Assert.Equal(3, a.Append(b).Distinct().Count());

        // A's share is back once its calls ended.
        await database.ExecuteAsync("share-a", BackendAsync, cancellationToken);
    }

    [Fact]
    public async Task TheServerEndsALongStatementAndAnIdleTransactionByItself()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var host = await BuildAsync(new()
        {
            ["Mnemora:Postgres:CommandTimeout"] = "00:00:07",
            ["Mnemora:Postgres:IdleInTransactionTimeout"] = "00:00:03",
        });
        var database = host.Services.GetRequiredService<TenantDatabase>();

        var settings = await database.ExecuteAsync("share-timeouts", async (connection, transaction, ct) =>
        {
            await using var command = new NpgsqlCommand(
                "SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')", connection, transaction);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return (Statement: reader.GetString(0), Idle: reader.GetString(1));
        }, cancellationToken);
        Assert.Equal(("7s", "3s"), settings);

        // Left idle inside its transaction past the limit, the server ends the session: the next statement fails.
        var ended = await Assert.ThrowsAnyAsync<Exception>(() => database.ExecuteAsync("share-timeouts", async (connection, transaction, ct) =>
        {
            await BackendAsync(connection, transaction, ct);
            await Task.Delay(TimeSpan.FromSeconds(6), ct);
            return await BackendAsync(connection, transaction, ct);
        }, cancellationToken));
        Assert.True(ended is NpgsqlException or InvalidOperationException, ended.ToString());
    }

    [Fact]
    public async Task ATenantsSecondImportIsRefusedBeforeItWritesWhileTheFirstHoldsItsTransaction()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var host = await BuildAsync([]);
        var repository = host.Services.GetRequiredService<SemanticMemoryRepository>();
        var tenant = $"share-import-{Guid.NewGuid():N}";

        // The first import's rows arrive only when the test lets them: its transaction (and its import lock) stays open.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = repository.ImportAsync(tenant, HeldRows(started, release, "first"), new SemanticLimits(1000), cancellationToken);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

        var refused = await Assert.ThrowsAsync<TenantBusyException>(() =>
            repository.ImportAsync(tenant, Rows("second"), new SemanticLimits(1000), cancellationToken));
        Assert.Equal("imports", refused.Resource);

        // Another tenant imports meanwhile; the first completes.
        Assert.Equal(1, (await repository.ImportAsync($"{tenant}-other", Rows("other"), new SemanticLimits(1000), cancellationToken)).Rows);
        release.SetResult();
        Assert.Equal(1, (await first).Rows);
    }

    private static async IAsyncEnumerable<IReadOnlyList<SemanticImportRow>> HeldRows(TaskCompletionSource started, TaskCompletionSource release, string content)
    {
        started.SetResult();
        await release.Task;
        await foreach (var rows in Rows(content))
        {
            yield return rows;
        }
    }

    private static async IAsyncEnumerable<IReadOnlyList<SemanticImportRow>> Rows(string content)
    {
        await Task.Yield();
        var vector = new float[SemanticSchema.Dimensions];
        vector[0] = 1;
        yield return [new SemanticImportRow(Guid.CreateVersion7(), "agent-1", "default", content, "{}", DateTime.UtcNow, DateTime.UtcNow, vector)];
    }

    private async Task<IHost> BuildAsync(Dictionary<string, string?> overrides)
    {
        var settings = await StoreHost.SettingsAsync(system.App);
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return StoreHost.Build(settings, provision: false);
    }

    private static async Task<int> BackendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection, transaction);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
