using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>SQL-injection payloads are stored and matched as data: every value reaches PostgreSQL as a parameter.</summary>
public sealed class SemanticInjectionTests(MnemoraApp system)
{
    public static TheoryData<string> Payloads =>
    [
        "'; DROP TABLE semantic_memory; --",
        "' OR '1'='1",
        "x'); DELETE FROM semantic_memory WHERE ('1'='1",
        "$$; SELECT set_config('app.tenant_id', 'other', false); $$",
        "\\'; TRUNCATE semantic_tenant_totals; --",
        "Robert'); SELECT pg_sleep(5);--",
    ];

    [Theory]
    [MemberData(nameof(Payloads))]
    public async Task PayloadsInContentAndMetadataAreStoredVerbatim(string payload)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var other = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await other.StoreAsync(new { agent_id = "kb", content = "The other tenant's note." });

        var stored = await tenant.StoreAsync(new { agent_id = "kb", content = payload, metadata = new Dictionary<string, string> { ["note"] = payload, [payload] = "key" } });
        var read = await Envelope.ReadDataAsync(await tenant.GetMemoryAsync(stored.Id()), HttpStatusCode.OK);

        Assert.Equal(payload, read.Content());
        Assert.Equal(payload, read.GetProperty("metadata").GetProperty("note").GetString());
        Assert.Equal("key", read.GetProperty("metadata").GetProperty(payload).GetString());
        // Nothing ran: the other tenant's memory and this one are still there, and only this tenant's is visible.
        Assert.Single(await other.SearchAsync(new { query = "note", threshold = 0.0 }));
        Assert.Equal(stored.Id(), Assert.Single(await tenant.SearchAsync(new { query = payload, threshold = 0.0 })).Id());
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public async Task PayloadsInAMetadataFilterMatchOnlyEqualData(string payload)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "kb", content = "Plain memory one.", metadata = new { tag = "plain" } });
        var tagged = await tenant.StoreAsync(new { agent_id = "kb", content = "Memory tagged with a payload.", metadata = new { tag = payload } });

        var matched = await tenant.SearchAsync(new { query = "memory", threshold = 0.0, metadata_filter = new { tag = payload } });
        var byKey = await tenant.SearchAsync(new { query = "memory", threshold = 0.0, metadata_filter = new Dictionary<string, string> { [payload] = "x" } });

        Assert.Equal(tagged.Id(), Assert.Single(matched).Id());
        Assert.Empty(byKey);
    }

    [Theory]
    [InlineData("ns--comment")]
    [InlineData("@tenant")]
    [InlineData("default::text")]
    [InlineData("a.b:c@d_e-f")]
    public async Task NamespacesWithSqlLikeCharactersAreStoredAndFilteredAsData(string @namespace)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "kb", content = "In the default namespace." });
        var stored = await tenant.StoreAsync(new { agent_id = "kb:@-_.", content = "In an odd namespace.", @namespace });

        var found = await tenant.SearchAsync(new { query = "namespace", threshold = 0.0, @namespace });

        Assert.Equal(stored.Id(), Assert.Single(found).Id());
        Assert.Equal(@namespace, found[0].GetProperty("namespace").GetString());
    }

    [Theory]
    [InlineData("x' OR '1'='1")]
    [InlineData("x; DROP TABLE semantic_memory")]
    [InlineData("x\"--")]
    public async Task NamespacesAndAgentsWithQuotesOrSpacesAreStoredAsTextNeverRun(string value)
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        await tenant.StoreAsync(new { agent_id = "kb", content = "Another agent's fact about quotes." });
        var stored = await tenant.StoreAsync(new { agent_id = value, content = "A fact about quotes.", @namespace = value });

        // Bound as parameters: the value matches itself only, and nothing else ran.
        var found = await tenant.SearchAsync(new { query = "quotes", threshold = 0.0, agent_id = value, @namespace = value });
        Assert.Equal(stored.Id(), Assert.Single(found).Id());
        Assert.Equal(value, found[0].GetProperty("agent_id").GetString());
        Assert.Equal(value, found[0].GetProperty("namespace").GetString());
        Assert.Equal(2, (await tenant.SearchAsync(new { query = "quotes", threshold = 0.0 })).Length);
    }

    [Fact]
    public async Task AMetadataFilterWithNestedJsonIsContainmentNotCode()
    {
        using var tenant = await system.CreateTenantAsync(cancellationToken: TestContext.Current.CancellationToken);
        var stored = await tenant.StoreAsync(new { agent_id = "kb", content = "Nested metadata.", metadata = new { owner = new { team = "core", tags = new[] { "a", "b" } } } });

        var found = await tenant.SearchAsync(new { query = "metadata", threshold = 0.0, metadata_filter = new { owner = new { team = "core" } } });
        var notFound = await tenant.SearchAsync(new { query = "metadata", threshold = 0.0, metadata_filter = JsonDocument.Parse("""{"owner": {"team": "core' OR 1=1"}}""").RootElement });

        Assert.Equal(stored.Id(), Assert.Single(found).Id());
        Assert.Empty(notFound);
    }
}
