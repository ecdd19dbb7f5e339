using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>Tenant B, with the same agent and namespace names, cannot reach tenant A's memories by any route.</summary>
public sealed class SemanticIsolationTests(MnemoraApp system)
{
    [Fact]
    public async Task AnotherTenantCannotGetOrDeleteAMemoryById()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        using var b = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        var secret = await a.StoreAsync(new { agent_id = "support", content = "A's launch date is March 3rd." });

        var read = await Envelope.ReadErrorAsync(await b.GetMemoryAsync(secret.Id()), HttpStatusCode.NotFound, "NOT_FOUND");
        var missing = await Envelope.ReadErrorAsync(await b.GetMemoryAsync(Guid.NewGuid().ToString()), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await b.DeleteMemoryAsync(secret.Id()), HttpStatusCode.NotFound, "NOT_FOUND");

        // Indistinguishable from a missing record, and A's memory is untouched.
        Assert.Equal(missing.GetProperty("error").GetProperty("message").GetString(), read.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(secret.Content(), (await Envelope.ReadDataAsync(await a.GetMemoryAsync(secret.Id()), HttpStatusCode.OK)).Content());
    }

    [Fact]
    public async Task AnotherTenantCannotFindAMemoryByQueryEvenWithItsExactText()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        using var b = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        const string text = "A's acquisition target is Initech.";
        await a.StoreAsync(new { agent_id = "support", content = text, metadata = new { kind = "secret" } });
        await b.StoreAsync(new { agent_id = "support", content = "B's holiday party is in December." });

        var byAgent = await b.SearchAsync(new { query = text, agent_id = "support", threshold = 0.0, top_k = 100 });
        var wholeTenant = await b.SearchAsync(new { query = text, threshold = 0.0, top_k = 100 });
        var byMetadata = await b.SearchAsync(new { query = text, threshold = 0.0, metadata_filter = new { kind = "secret" } });

        Assert.All(byAgent.Concat(wholeTenant), r => Assert.DoesNotContain("Initech", r.Content(), StringComparison.Ordinal));
        Assert.Single(wholeTenant);
        Assert.Empty(byMetadata);
    }

    [Fact]
    public async Task ATenantIdInTheBodyIsIgnored()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        using var b = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        await a.StoreAsync(new { agent_id = "support", content = "A's pricing sheet is confidential." });

        var planted = await b.StoreAsync(new { agent_id = "support", content = "Planted by B into A?", tenant_id = a.TenantId });
        var searched = await b.SearchAsync(new { query = "pricing sheet", threshold = 0.0, tenant_id = a.TenantId });

        Assert.DoesNotContain(searched, r => r.Content().Contains("pricing", StringComparison.Ordinal));
        await Envelope.ReadErrorAsync(await a.GetMemoryAsync(planted.Id()), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.DoesNotContain(await a.SearchAsync(new { query = "Planted by B", threshold = 0.0 }), r => r.Content().Contains("Planted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnotherTenantsVectorsAreNotInItsCount()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var a = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        using var b = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        await a.StoreAsync(new { agent_id = "support", content = "A knows one thing." });
        await a.StoreAsync(new { agent_id = "support", content = "A knows a second, unrelated thing about tax law." });

        var usageA = await Envelope.ReadDataAsync(await a.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        var usageB = await Envelope.ReadDataAsync(await b.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);

        Assert.Equal(2, usageA.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(0, usageB.GetProperty("vectors_stored").GetInt64());
        Assert.Empty(await b.SearchAsync(new { query = "thing", threshold = 0.0, top_k = 100 }));
    }
}
