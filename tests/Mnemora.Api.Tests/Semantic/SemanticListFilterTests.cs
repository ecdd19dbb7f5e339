using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>
/// <c>filter</c>, <c>created_after</c> and <c>created_before</c> on <c>GET /v1/memory/semantic</c> (issue 18 item 4): the search's
/// compiler, bound as parameters, under the tenant's own predicate.
/// </summary>
public sealed class SemanticListFilterTests(MnemoraApp system)
{
    private const string Agent = "filtered-agent";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] s_facts =
    [
        "Paris is the capital of France",
        "The espresso machine needs descaling monthly",
        "Invoices are due within thirty days",
        "The server room stays at eighteen degrees",
        "Our dentist appointment moved to spring",
    ];

    [Fact]
    public async Task AListNarrowsByMetadataOperatorsAndCreationTimeAndPagesWithTheFilter()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        var ids = await StoreFactsAsync(tenant);

        // Newest first: priorities 5, 4, 3 are the last three stored.
        Assert.Equal([ids[4], ids[3], ids[2]], await ListAsync(tenant, """{"priority":{"$gte":3}}"""));
        Assert.Equal([ids[4], ids[0]], await ListAsync(tenant, """{"$or":[{"priority":1},{"team":"ops","priority":{"$gt":4}}]}"""));
        Assert.Equal([ids[3], ids[1]], await ListAsync(tenant, """{"team":{"$in":["ops"]},"priority":{"$ne":5}}"""));
        Assert.Equal([ids[4], ids[2], ids[0]], await ListAsync(tenant, """{"flagged":{"$exists":false}}"""));
        Assert.Empty(await ListAsync(tenant, """{"x') OR 1=1 --":"y"}"""));

        var third = (await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/semantic/{ids[2]}", Ct), HttpStatusCode.OK)).GetProperty("created_at").GetDateTimeOffset();
        Assert.Equal([ids[4], ids[3]], await ListAsync(tenant, null, $"&created_after={Uri.EscapeDataString(third.ToString("O"))}"));
        Assert.Equal([ids[1], ids[0]], await ListAsync(tenant, null, $"&created_before={Uri.EscapeDataString(third.ToString("O"))}"));
        Assert.Equal([ids[1]], await ListAsync(tenant, """{"team":"ops"}""", $"&created_before={Uri.EscapeDataString(third.ToString("O"))}"));

        // One at a time: the cursor continues within the filter.
        Assert.Equal([ids[4], ids[3], ids[2]], await ListAsync(tenant, """{"priority":{"$gte":3}}""", "&limit=1"));
    }

    [Fact]
    public async Task AFilteredListNeverReachesAnotherTenantsMemoriesOfTheSameAgent()
    {
        using var owner = await system.CreateTenantAsync(cancellationToken: Ct);
        using var other = await system.CreateTenantAsync(cancellationToken: Ct);
        var owned = await StoreFactsAsync(owner);
        var others = await StoreFactsAsync(other);

        Assert.Equal([owned[4], owned[3], owned[2]], await ListAsync(owner, """{"priority":{"$gte":3}}"""));
        Assert.Equal([others[4], others[3], others[2]], await ListAsync(other, """{"priority":{"$gte":3}}"""));
        // An always-true filter is still only the caller's rows.
        Assert.Equal([.. owned.AsEnumerable().Reverse()], await ListAsync(owner, """{"$or":[{"priority":{"$exists":true}},{"priority":{"$exists":false}}]}"""));
    }

    [Fact]
    public async Task ABadFilterOrInstantIsAValidationErrorNeverAServerError()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: Ct);
        string[] bad =
        [
            "filter=not-json",
            "filter=" + Uri.EscapeDataString("[1,2]"),
            "filter=" + Uri.EscapeDataString("""{"a":{"$regex":"x"}}"""),
            "filter=" + Uri.EscapeDataString("""{"$where":"1"}"""),
            "filter=" + Uri.EscapeDataString("""{"a":{"$in":"x"}}"""),
            "filter=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat("""{"$and":[""", 8)) + "{}" + string.Concat(Enumerable.Repeat("]}", 8))),
            "filter=" + Uri.EscapeDataString("{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"k{i}\":{i}")) + "}"),
            "created_after=yesterday",
            "created_before=2026-13-40",
        ];
        foreach (var query in bad)
        {
            var error = await Envelope.ReadErrorAsync(await tenant.Client.GetAsync($"/v1/memory/semantic?agent_id={Agent}&{query}", Ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.DoesNotContain("Npgsql", error.GetRawText(), StringComparison.Ordinal);
        }
    }

    /// <summary>Five memories, priority 1-5, team ops on the even ones (2, 4), flagged on 2 and 4.</summary>
    private static async Task<List<string>> StoreFactsAsync(TestTenant tenant)
    {
        var ids = new List<string>();
        for (var i = 0; i < s_facts.Length; i++)
        {
            var priority = i + 1;
            object metadata = priority % 2 == 0
                ? new { priority, team = "ops", flagged = true }
                : new { priority, team = priority == 5 ? "ops" : "sales" };
            ids.Add((await tenant.StoreAsync(new { agent_id = Agent, content = s_facts[i], metadata })).Id());
        }

        return ids;
    }

    /// <summary>Every id the filtered list returns, all pages, newest first.</summary>
    private static async Task<List<string>> ListAsync(TestTenant tenant, string? filter, string extra = "")
    {
        var ids = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 50; pages++)
        {
            var query = $"/v1/memory/semantic?agent_id={Agent}{(filter is null ? "" : "&filter=" + Uri.EscapeDataString(filter))}{extra}"
                + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var page = await Envelope.ReadDataAsync(await tenant.Client.GetAsync(query, Ct), HttpStatusCode.OK);
            ids.AddRange(page.GetProperty("memories").EnumerateArray().Select(m => m.Id()));
            if (page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null)
            {
                return ids;
            }

            cursor = page.GetProperty("next_cursor").GetString();
        }

        throw new InvalidOperationException("Paging did not end.");
    }
}
