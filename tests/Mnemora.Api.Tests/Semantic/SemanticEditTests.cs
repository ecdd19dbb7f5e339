using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Npgsql;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>
/// Editable memories with their history, listing, expiry and erasure (issue 18 items 3 and 5), through the API,
/// with PostgreSQL read back as the owner where only the rows can prove it (erased vectors, swept rows).
/// </summary>
public sealed class SemanticEditTests(MnemoraApp system)
{
    private const string Agent = "editing-agent";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnEditReplacesContentReembedsAndKeepsTheOldVersionInHistory()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        var stored = await tenant.StoreAsync(new { agent_id = Agent, content = "The warehouse opens at seven", metadata = new { site = "north" } });

        var edited = await Envelope.ReadDataAsync(
            await tenant.Client.PatchAsJsonAsync($"/v1/memory/semantic/{stored.Id()}", new { content = "Quarterly revenue grew by twelve percent", metadata = new { source = "report" }, version = 1 }, Ct),
            HttpStatusCode.OK);

        Assert.Equal(2, edited.GetProperty("version").GetInt64());
        Assert.Equal("Quarterly revenue grew by twelve percent", edited.Content());
        // Metadata replaces: the old key is gone.
        Assert.Equal("""{"source":"report"}""", edited.GetProperty("metadata").GetRawText());
        // Re-embedded: a search for the new meaning finds it first, the old meaning no longer does.
        var found = await tenant.SearchAsync(new { query = "How much did revenue grow?", agent_id = Agent, threshold = 0.3 });
        Assert.Equal(stored.Id(), Assert.Single(found).Id());
        Assert.Empty(await tenant.SearchAsync(new { query = "When does the warehouse open?", agent_id = Agent, threshold = 0.5 }));

        var history = await HistoryAsync(tenant, stored.Id());
        Assert.Equal(
            [(1L, "created", "The warehouse opens at seven"), (2L, "updated", "Quarterly revenue grew by twelve percent")],
            history.Select(v => (v.GetProperty("version").GetInt64(), v.GetProperty("change").GetString()!, v.GetProperty("content").GetString()!)));
        Assert.Equal("north", history[0].GetProperty("metadata").GetProperty("site").GetString());
    }

    [Fact]
    public async Task AnEditAtAStaleVersionIsAConflictAndChangesNothing()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        var stored = await tenant.StoreAsync(new { agent_id = Agent, content = "The printer on floor two is broken" });
        await Envelope.ReadDataAsync(await tenant.Client.PatchAsJsonAsync($"/v1/memory/semantic/{stored.Id()}", new { @namespace = "office" }, Ct), HttpStatusCode.OK);

        var stale = await tenant.Client.PatchAsJsonAsync($"/v1/memory/semantic/{stored.Id()}", new { content = "The printer works", version = 1 }, Ct);

        await Envelope.ReadErrorAsync(stale, HttpStatusCode.Conflict, "CONFLICT");
        var read = await Envelope.ReadDataAsync(await tenant.GetMemoryAsync(stored.Id()), HttpStatusCode.OK);
        Assert.Equal(("The printer on floor two is broken", "office", 2L), (read.Content(), read.GetProperty("namespace").GetString(), read.GetProperty("version").GetInt64()));
        await Envelope.ReadErrorAsync(await tenant.Client.PatchAsJsonAsync($"/v1/memory/semantic/{Guid.NewGuid()}", new { content = "x" }, Ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await tenant.Client.PatchAsJsonAsync($"/v1/memory/semantic/{stored.Id()}", new { version = 2 }, Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task TheSameFactAgainIsAMergedEntryInHistory()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        var first = await tenant.StoreAsync(new { agent_id = Agent, content = "The meeting with Anna is on Tuesday", metadata = new { a = 1 } });
        await tenant.StoreAsync(new { agent_id = Agent, content = "the meeting with Anna is on Tuesday.", metadata = new { b = 2 } }, HttpStatusCode.OK);

        var history = await HistoryAsync(tenant, first.Id());

        Assert.Equal(["created", "merged"], history.Select(v => v.GetProperty("change").GetString()));
        Assert.False(history[0].GetProperty("metadata").TryGetProperty("b", out _));
        Assert.Equal(2, history[1].GetProperty("metadata").GetProperty("b").GetInt32());
    }

    [Fact]
    public async Task DeletingErasesContentAndVectorAndLeavesADeletedEntry()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        var stored = await tenant.StoreAsync(new { agent_id = Agent, content = "Maria's home address is 12 Elm Street", metadata = new { pii = true } });
        await Envelope.ReadDataAsync(await tenant.Client.PatchAsJsonAsync($"/v1/memory/semantic/{stored.Id()}", new { content = "Maria's home address is 14 Elm Street" }, Ct), HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await tenant.DeleteMemoryAsync(stored.Id())).StatusCode);

        await Envelope.ReadErrorAsync(await tenant.GetMemoryAsync(stored.Id()), HttpStatusCode.NotFound, "NOT_FOUND");
        var history = await HistoryAsync(tenant, stored.Id());
        Assert.Equal(["created", "updated", "deleted"], history.Select(v => v.GetProperty("change").GetString()));
        Assert.All(history, v => Assert.Equal(JsonValueKind.Null, v.GetProperty("content").ValueKind));
        Assert.All(history, v => Assert.Equal("{}", v.GetProperty("metadata").GetRawText()));

        // The rows themselves hold neither the text nor the vector any more.
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        await using var row = owner.CreateCommand(
            """
            SELECT (SELECT embedding IS NULL AND content = '' FROM semantic_memory WHERE id = @id),
                   (SELECT count(*) FROM semantic_memory_history WHERE memory_id = @id AND (content IS NOT NULL OR metadata <> '{}'::jsonb))
            """);
        row.Parameters.AddWithValue("id", Guid.Parse(stored.Id()));
        await using var reader = await row.ExecuteReaderAsync(Ct);
        await reader.ReadAsync(Ct);
        Assert.True(reader.GetBoolean(0));
        Assert.Equal(0, reader.GetInt64(1));
    }

    [Fact]
    public async Task ListingPagesThroughAnAgentsMemoriesNewestFirst()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        string[] facts = ["Paris is in France", "The cat sleeps on the sofa", "Invoices are due in thirty days", "Rust has a borrow checker", "The gym closes at ten"];
        var ids = new List<string>();
        foreach (var fact in facts)
        {
            ids.Add((await tenant.StoreAsync(new { agent_id = Agent, content = fact })).Id());
        }

        await tenant.StoreAsync(new { agent_id = Agent, content = "Other namespace fact about tulips", @namespace = "garden" });
        await tenant.StoreAsync(new { agent_id = "someone-else", content = "Another agent's fact" });
        Assert.Equal(HttpStatusCode.NoContent, (await tenant.DeleteMemoryAsync(ids[2])).StatusCode);

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Envelope.ReadDataAsync(
                await tenant.Client.GetAsync($"/v1/memory/semantic?agent_id={Agent}&namespace=default&limit=2{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", Ct),
                HttpStatusCode.OK);
            var memories = page.GetProperty("memories").EnumerateArray().ToList();
            Assert.True(memories.Count <= 2);
            seen.AddRange(memories.Select(m => m.Id()));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal([ids[4], ids[3], ids[1], ids[0]], seen);
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/v1/memory/semantic?agent_id={Agent}&cursor=not-a-cursor", Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync("/v1/memory/semantic?limit=5", Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/v1/memory/semantic?agent_id={Agent}&limit=101", Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task AnExpiredMemoryVanishesFromEveryReadAtOnceAndTheSweepRemovesIt()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        var expiring = await tenant.StoreAsync(new { agent_id = Agent, content = "The door code this week is 4711", ttl_hours = 24 });
        var lasting = await tenant.StoreAsync(new { agent_id = Agent, content = "The office is on the third floor" });
        var expiresAt = expiring.GetProperty("expires_at").GetDateTime();
        Assert.InRange(expiresAt - expiring.GetProperty("created_at").GetDateTime(), TimeSpan.FromHours(24) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        Assert.Equal(JsonValueKind.Null, lasting.GetProperty("expires_at").ValueKind);
        await Envelope.ReadErrorAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = Agent, content = "x", ttl_hours = 87_601 }, Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        // A day passes for this memory: the database's clock is the one reads and the sweep use.
        await using var owner = await SemanticDatabase.OwnerAsync(system);
        await using (var age = owner.CreateCommand("UPDATE semantic_memory SET expires_at = now() - interval '1 second' WHERE id = @id"))
        {
            age.Parameters.AddWithValue("id", Guid.Parse(expiring.Id()));
            await age.ExecuteNonQueryAsync(Ct);
        }

        await Envelope.ReadErrorAsync(await tenant.GetMemoryAsync(expiring.Id()), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/v1/memory/semantic/{expiring.Id()}/history", Ct), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.DoesNotContain(await tenant.SearchAsync(new { query = "door code", agent_id = Agent, threshold = 0.0 }), m => m.Id() == expiring.Id());
        var listed = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/semantic?agent_id={Agent}", Ct), HttpStatusCode.OK);
        Assert.Equal([lasting.Id()], listed.GetProperty("memories").EnumerateArray().Select(m => m.Id()));
        var whole = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/{Agent}", Ct), HttpStatusCode.OK);
        Assert.Equal([lasting.Id()], whole.GetProperty("semantic").EnumerateArray().Select(m => m.Id()));

        // The sweep (every 2 s in tests) deletes the row and gives the vector back.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (await RowExistsAsync(owner, expiring.Id(), timeout.Token) || await VectorCountAsync(tenant) != 1)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
        }

        Assert.Equal(HttpStatusCode.OK, (await tenant.GetMemoryAsync(lasting.Id())).StatusCode);
    }

    private static async Task<List<JsonElement>> HistoryAsync(TestTenant tenant, string id)
    {
        var data = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/semantic/{id}/history", Ct), HttpStatusCode.OK);
        return [.. data.GetProperty("history").EnumerateArray()];
    }

    private static async Task<long> VectorCountAsync(TestTenant tenant) =>
        (await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage/vectors", Ct), HttpStatusCode.OK)).GetProperty("vector_count").GetInt64();

    private static async Task<bool> RowExistsAsync(NpgsqlDataSource owner, string id, CancellationToken cancellationToken)
    {
        await using var select = owner.CreateCommand("SELECT count(*) FROM semantic_memory WHERE id = @id");
        select.Parameters.AddWithValue("id", Guid.Parse(id));
        return (long)(await select.ExecuteScalarAsync(cancellationToken))! > 0;
    }
}
