using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Npgsql;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>
/// Deduplication never loses a fact (issue 18): the issue's own sequences, through the API, with the history
/// table read back as the tenant role (row-level security) and as the owner.
/// </summary>
public sealed class DeduplicationTests(MnemoraApp system)
{
    private const string Agent = "billing-agent";

    [Fact]
    public async Task ThreeInvoicesThatReadAlikeStayThreeMemories()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);

        var stored = new List<JsonElement>();
        foreach (var invoice in (string[])["INV-2024-7781-B", "INV-2024-7781-C", "INV-2024-7718-B"])
        {
            var memory = await tenant.StoreAsync(new { agent_id = Agent, content = $"Invoice {invoice} was paid late" }, HttpStatusCode.Created);
            Assert.False(memory.GetProperty("deduplicated").GetBoolean());
            Assert.Equal("none", memory.GetProperty("dedup").GetString());
            Assert.Equal(1, memory.GetProperty("version").GetInt64());
            stored.Add(memory);
        }

        Assert.Equal(3, stored.Select(m => m.Id()).Distinct().Count());
        // They read alike (the old merge took them for one): it is the judge that keeps them apart.
        var alike = await tenant.SearchAsync(new { query = "Invoice INV-2024-7781-C was paid late", agent_id = Agent });
        Assert.Equal(3, alike.Length);
        Assert.All(alike, m => Assert.True(m.GetProperty("similarity_score").GetDouble() >= 0.95));
        var found = await tenant.SearchAsync(new { query = "Invoice INV-2024-7781-B was paid late", agent_id = Agent, threshold = 0.0 });
        Assert.Equal(
            ["Invoice INV-2024-7718-B was paid late", "Invoice INV-2024-7781-B was paid late", "Invoice INV-2024-7781-C was paid late"],
            found.Select(m => m.Content()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AMeetingMovedToThursdayReplacesTuesdayAndKeepsTuesdayInHistory()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var tuesday = await tenant.StoreAsync(new { agent_id = Agent, content = "The meeting with Anna is on Tuesday", metadata = new { source = "email" } });

        var thursday = await tenant.StoreAsync(new { agent_id = Agent, content = "The meeting with Anna is on Thursday", metadata = new { source = "chat" } }, HttpStatusCode.OK);

        Assert.Equal(tuesday.Id(), thursday.Id());
        Assert.Equal("The meeting with Anna is on Thursday", thursday.Content());
        Assert.False(thursday.GetProperty("deduplicated").GetBoolean());
        Assert.Equal("updated", thursday.GetProperty("dedup").GetString());
        Assert.Equal(2, thursday.GetProperty("version").GetInt64());
        Assert.Equal("chat", thursday.GetProperty("metadata").GetProperty("source").GetString());

        var read = await Envelope.ReadDataAsync(await tenant.GetMemoryAsync(tuesday.Id()), HttpStatusCode.OK);
        Assert.Equal("The meeting with Anna is on Thursday", read.Content());
        Assert.Equal(2, read.GetProperty("version").GetInt64());
        var found = await tenant.SearchAsync(new { query = "When is the meeting with Anna?", agent_id = Agent, threshold = 0.0 });
        Assert.Equal("The meeting with Anna is on Thursday", Assert.Single(found).Content());

        // The older statement is kept, readable by its own tenant only.
        await using var tenantRole = await SemanticDatabase.TenantRoleAsync(system);
        var history = await HistoryAsync(tenantRole, tenant.TenantId, Guid.Parse(tuesday.Id()), cancellationToken);
        var kept = Assert.Single(history);
        Assert.Equal((1L, "created", "The meeting with Anna is on Tuesday", "email"), kept);
        Assert.Empty(await HistoryAsync(tenantRole, $"t-{Guid.NewGuid():N}", Guid.Parse(tuesday.Id()), cancellationToken));
    }

    [Fact]
    public async Task TheSameFactAgainMergesItsMetadataAndKeepsItsVersion()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var first = await tenant.StoreAsync(new { agent_id = Agent, content = "The meeting with Anna is on Tuesday", metadata = new { a = 1 } });

        var again = await tenant.StoreAsync(new { agent_id = Agent, content = "the meeting with Anna is on Tuesday.", metadata = new { b = 2 } }, HttpStatusCode.OK);

        Assert.Equal(first.Id(), again.Id());
        Assert.True(again.GetProperty("deduplicated").GetBoolean());
        Assert.Equal("same", again.GetProperty("dedup").GetString());
        Assert.Equal(1, again.GetProperty("version").GetInt64());
        Assert.Equal("The meeting with Anna is on Tuesday", again.Content());
        Assert.Equal(1, again.GetProperty("metadata").GetProperty("a").GetInt32());
        Assert.Equal(2, again.GetProperty("metadata").GetProperty("b").GetInt32());
    }

    [Fact]
    public async Task ANegatedFactIsStoredBesideTheFactItReadsLike()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var available = await tenant.StoreAsync(new { agent_id = Agent, content = "Refunds for annual plans are processed by the billing team within five business days" });
        // Precondition: the two read alike enough to be a candidate, so it is the judge that keeps them apart.
        var alike = await tenant.SearchAsync(new { query = "Refunds for annual plans are not processed by the billing team within five business days", agent_id = Agent });
        Assert.True(Assert.Single(alike).GetProperty("similarity_score").GetDouble() >= 0.95);

        var unavailable = await tenant.StoreAsync(
            new { agent_id = Agent, content = "Refunds for annual plans are not processed by the billing team within five business days" }, HttpStatusCode.Created);

        Assert.NotEqual(available.Id(), unavailable.Id());
        Assert.Equal("none", unavailable.GetProperty("dedup").GetString());
    }

    [Fact]
    public async Task PurgingTheAgentErasesItsHistoryToo()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var memory = await tenant.StoreAsync(new { agent_id = Agent, content = "The dentist appointment is on Friday at 10:00" });
        await tenant.StoreAsync(new { agent_id = Agent, content = "The dentist appointment is on Friday at 11:30" }, HttpStatusCode.OK);
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        Assert.Single(await HistoryAsync(owner, tenant.TenantId, Guid.Parse(memory.Id()), cancellationToken));

        await Envelope.ReadDataAsync(await tenant.Client.DeleteAsync($"/v1/memory/{Agent}", cancellationToken), HttpStatusCode.OK);

        Assert.Empty(await HistoryAsync(owner, tenant.TenantId, Guid.Parse(memory.Id()), cancellationToken));
    }

    /// <summary>A memory's history rows, oldest first, read in a transaction with the tenant setting (the owner bypasses it).</summary>
    private static async Task<List<(long Version, string Change, string Content, string? Source)>> HistoryAsync(
        NpgsqlDataSource dataSource, string tenantId, Guid memoryId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var set = new NpgsqlCommand("SELECT set_config('app.tenant_id', @tenant, true)", connection, transaction))
        {
            set.Parameters.AddWithValue("tenant", tenantId);
            await set.ExecuteNonQueryAsync(cancellationToken);
        }

        // Deliberately no tenant predicate: row-level security alone decides what the tenant role sees.
        await using var select = new NpgsqlCommand(
            "SELECT version, change, content, metadata->>'source' FROM semantic_memory_history WHERE memory_id = @id ORDER BY version, changed_at",
            connection, transaction);
        select.Parameters.AddWithValue("id", memoryId);
        var rows = new List<(long, string, string, string?)>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return rows;
    }
}
