using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Storage;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Tests.Semantic;

/// <summary>The tier's vector and storage caps, and the usage counters semantic memory keeps.</summary>
public sealed class SemanticLimitsTests(MnemoraApp system)
{
    [Fact]
    public async Task StoringPastTheTiersVectorCapIsRefusedButMergingADuplicateIsNot()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        await tenant.StoreAsync(new { agent_id = "kb", content = "The free plan holds five thousand vectors." });

        // Arrange a full tenant without storing 5,000 memories: its totals row says so.
        await using (var owner = await SemanticDatabase.OwnerAsync(system))
        await using (var fill = owner.CreateCommand("UPDATE semantic_tenant_totals SET vectors = 5000 WHERE tenant_id = @tenant"))
        {
            fill.Parameters.AddWithValue("tenant", tenant.TenantId);
            Assert.Equal(1, await fill.ExecuteNonQueryAsync(cancellationToken));
        }

        var refused = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "kb", content = "One memory too many about gardening." }, cancellationToken);
        await Envelope.ReadErrorAsync(refused, HttpStatusCode.TooManyRequests, "VECTOR_LIMIT_EXCEEDED");
        Assert.Empty(await tenant.SearchAsync(new { query = "gardening", threshold = 0.5 }));

        var merged = await tenant.StoreAsync(new { agent_id = "kb", content = "The free plan holds five thousand vectors." }, HttpStatusCode.OK);
        Assert.True(merged.GetProperty("deduplicated").GetBoolean());
    }

    [Fact]
    public async Task StoringPastTheTiersStorageCapIsRefused()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);
        using var host = await UsageHostAsync(cancellationToken);
        await host.Services.GetRequiredService<IUsageMeter>().RecordAsync(tenant.TenantId, new UsageDelta(S3Bytes: 50_000_000 - 100), cancellationToken);

        var refused = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "kb", content = "This memory does not fit in the last hundred bytes." }, cancellationToken);

        await Envelope.ReadErrorAsync(refused, HttpStatusCode.RequestEntityTooLarge, "STORAGE_LIMIT_EXCEEDED");
        Assert.Empty(await tenant.SearchAsync(new { query = "memory", threshold = 0.0 }));
    }

    [Fact]
    public async Task UsageCountsVectorsEmbeddingsAgentsAndBytesAndDeletesGiveThemBack()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: cancellationToken);

        var first = await tenant.StoreAsync(new { agent_id = "kb", content = "Counting starts here." });
        await tenant.StoreAsync(new { agent_id = "other-agent", content = "A second agent's fact about volcanoes." });
        await tenant.SearchAsync(new { query = "volcano" });
        var afterStores = await UsageAsync(tenant);

        Assert.Equal(2, afterStores.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(3, afterStores.GetProperty("embeddings_generated_month").GetInt64());
        Assert.Equal(2, afterStores.GetProperty("agents_count").GetInt64());
        var bytes = afterStores.GetProperty("storage").GetProperty("postgres_bytes").GetInt64();
        Assert.True(bytes > 2 * 384 * 4, $"postgres_bytes {bytes}");

        Assert.Equal(HttpStatusCode.NoContent, (await tenant.DeleteMemoryAsync(first.Id())).StatusCode);
        var afterDelete = await UsageAsync(tenant);
        Assert.Equal(1, afterDelete.GetProperty("vectors_stored").GetInt64());
        Assert.True(afterDelete.GetProperty("storage").GetProperty("postgres_bytes").GetInt64() < bytes);
    }

    private static async Task<System.Text.Json.JsonElement> UsageAsync(TestTenant tenant) =>
        await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", TestContext.Current.CancellationToken), HttpStatusCode.OK);

    private async Task<IHost> UsageHostAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(await StoreHost.SettingsAsync(system.App));
        builder.AddMnemoraStorage(provision: false);
        builder.Services.AddMnemoraTenancyStores();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
