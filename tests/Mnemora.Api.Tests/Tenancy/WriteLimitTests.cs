using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mnemora.Api.Tests.Export;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Semantic;
using Mnemora.Storage;
using Mnemora.Storage.Usage;

namespace Mnemora.Api.Tests.Tenancy;

/// <summary>
/// The storage limit and the month's embeddings on every write path, against the real stores: a tenant at
/// its limit is refused (413 / 429 in the envelope), nothing of the write stays and its usage is unchanged.
/// </summary>
public sealed class WriteLimitTests(MnemoraApp system)
{
    // The free tier's defaults (the contract's table), which the test system does not override.
    private const long FreeStorage = 50_000_000;
    private const long FreeEmbeddings = 10_000;

    [Fact]
    public async Task EveryWritePathRefusesATenantAtItsStorageLimitAndKeepsNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        using var source = await system.CreateTenantAsync(cancellationToken: ct);
        using var host = await UsageHostAsync(ct);
        var meter = host.Services.GetRequiredService<IUsageMeter>();

        // Near its limit first (100 KB of room), so that the API takes no storage lease for this tenant: a lease taken
        // while it was far from the limit would stay the API's to spend after this test pushes the totals past it.
        await meter.RecordAsync(tenant.TenantId, new UsageDelta(S3Bytes: FreeStorage - 100_000), ct);
        var state = await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/state",
            new { agent_id = "a1", session_id = "s1", data = new { text = new string('x', 1_000) } }, ct), HttpStatusCode.Created);
        await tenant.StoreAsync(new { agent_id = "a1", content = "The warehouse in Leeds ships orders on weekdays." });
        Assert.Equal(1, state.GetProperty("version").GetInt64());
        await source.Client.PostAsJsonAsync("/v1/state", new { agent_id = "a1", session_id = "imported", data = new { text = "from another tenant" } }, ct);
        var export = await source.ExportAgentAsync("a1", ct);

        // Fill the tenant to 100 bytes below its limit without writing 50 MB more.
        var before = await UsageAsync(tenant, ct);
        await meter.RecordAsync(tenant.TenantId, new UsageDelta(S3Bytes: FreeStorage - 100 - before.Storage), ct);
        var full = await UsageAsync(tenant, ct);
        Assert.Equal(FreeStorage - 100, full.Storage);

        // State: a new session, and an overwrite / update that grows the record.
        await RefusedAsync(await tenant.Client.PostAsJsonAsync("/v1/state",
            new { agent_id = "a1", session_id = "s2", data = new { text = new string('y', 2_000) } }, ct));
        await RefusedAsync(await tenant.Client.PostAsJsonAsync("/v1/state",
            new { agent_id = "a1", session_id = "s1", data = new { text = new string('y', 5_000) } }, ct));
        await RefusedAsync(await tenant.Client.PutAsJsonAsync("/v1/state/a1",
            new { session_id = "s1", version = 1, data = new { text = new string('y', 5_000) } }, ct));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Client.GetAsync("/v1/state/a1?session_id=s2", ct)).StatusCode);
        var kept = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/state/a1?session_id=s1", ct), HttpStatusCode.OK);
        Assert.Equal(1, kept.GetProperty("version").GetInt64());

        // Episodes.
        await RefusedAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/episodic",
            new { agent_id = "a1", session_id = "s1", type = "observation", content = new string('z', 2_000) }, ct));
        var episodes = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/memory/episodic/a1", ct), HttpStatusCode.OK);
        Assert.Equal(0, episodes.GetProperty("episodes").GetArrayLength());

        // Semantic memory: a new fact, and a near-duplicate whose merge or update would add bytes.
        await RefusedAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic",
            new { agent_id = "a1", content = "Gardening tips: water tomatoes in the morning." }, ct));
        await RefusedAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic",
            new { agent_id = "a1", content = "The warehouse in Leeds ships orders on weekdays.", metadata = new { note = new string('m', 500) } }, ct));
        var memories = await tenant.SearchAsync(new { query = "warehouse Leeds gardening", threshold = 0.0 });
        Assert.Single(memories);

        // Import.
        await RefusedAsync(await tenant.ImportAsync(export, ct));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Client.GetAsync("/v1/state/a1?session_id=imported", ct)).StatusCode);

        var after = await UsageAsync(tenant, ct);
        Assert.Equal(full.Storage, after.Storage);

        // An overwrite that adds nothing is not refused: the limit counts the difference.
        var same = await tenant.Client.PostAsJsonAsync("/v1/state",
            new { agent_id = "a1", session_id = "s1", data = new { text = new string('w', 1_000) } }, ct);
        Assert.Equal(HttpStatusCode.Created, same.StatusCode);
        Assert.True((await UsageAsync(tenant, ct)).Storage <= FreeStorage);
    }

    [Fact]
    public async Task ConcurrentWritersNearTheLimitPassItByAtMostOneItem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        using var host = await UsageHostAsync(ct);
        const int itemBytes = 10_000;

        // Room for about five of the twenty writes.
        var room = (5 * itemBytes) + 2_000;
        await host.Services.GetRequiredService<IUsageMeter>().RecordAsync(tenant.TenantId, new UsageDelta(S3Bytes: FreeStorage - room), ct);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? tenant.Client.PostAsJsonAsync("/v1/memory/episodic",
                new { agent_id = "a1", session_id = "s1", type = "observation", content = new string('e', itemBytes) }, ct)
            : tenant.Client.PostAsJsonAsync("/v1/state",
                new { agent_id = "a1", session_id = $"s{i}", data = new { text = new string('s', itemBytes) } }, ct)));

        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Created);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await Envelope.ReadErrorAsync(refused, HttpStatusCode.RequestEntityTooLarge, "STORAGE_LIMIT_EXCEEDED");
        }

        var storage = (await UsageAsync(tenant, ct)).Storage;
        Assert.InRange(accepted, 3, 5);
        Assert.True(storage <= FreeStorage + itemBytes + 1_000, $"storage_bytes {storage} passes the limit by more than one item");
    }

    [Fact]
    public async Task AWriteOrSearchPastTheMonthsEmbeddingsIsRateLimitedUntilTheNextMonth()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync(cancellationToken: ct);
        using var host = await UsageHostAsync(ct);
        await host.Services.GetRequiredService<IUsageMeter>().RecordAsync(tenant.TenantId, new UsageDelta(EmbeddingsGenerated: FreeEmbeddings - 1), ct);
        // The meter coalesces embedding counts in memory; this host's must reach the table before the API reads it.
        await host.Services.GetRequiredService<DynamoUsageMeter>().FlushAsync(ct);

        await tenant.StoreAsync(new { agent_id = "a1", content = "The last embedding of the month is spent here." });
        var usage = await UsageAsync(tenant, ct);
        Assert.Equal(FreeEmbeddings, usage.Embeddings);

        var sentAt = DateTimeOffset.UtcNow;
        var store = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = "a1", content = "One embedding too many." }, ct);
        await AssertRateLimitedAsync(store, sentAt);
        sentAt = DateTimeOffset.UtcNow;
        var search = await tenant.Client.PostAsJsonAsync("/v1/memory/semantic/search", new { query = "embedding" }, ct);
        await AssertRateLimitedAsync(search, sentAt);

        var after = await UsageAsync(tenant, ct);
        Assert.Equal(FreeEmbeddings, after.Embeddings);
        Assert.Equal(usage.Storage, after.Storage);
        Assert.Equal(1, after.Vectors);
    }

    /// <summary>429 with Retry-After the seconds to the next UTC month, as the server saw them between <paramref name="sentAt"/> and now (rounded up).</summary>
    private static async Task AssertRateLimitedAsync(HttpResponseMessage response, DateTimeOffset sentAt)
    {
        var now = DateTimeOffset.UtcNow;
        var nextMonth = new DateTimeOffset(sentAt.Year, sentAt.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        await Envelope.ReadErrorAsync(response, HttpStatusCode.TooManyRequests, "RATE_LIMITED");
        var retryAfter = long.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, (long)(nextMonth - now).TotalSeconds - 120, (long)Math.Ceiling((nextMonth - sentAt).TotalSeconds) + 1);
    }

    private static async Task RefusedAsync(HttpResponseMessage response) =>
        await Envelope.ReadErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "STORAGE_LIMIT_EXCEEDED");

    private static async Task<(long Storage, long Embeddings, long Vectors)> UsageAsync(TestTenant tenant, CancellationToken cancellationToken)
    {
        var usage = await Envelope.ReadDataAsync(await tenant.Client.GetAsync("/v1/usage", cancellationToken), HttpStatusCode.OK);
        return (usage.GetProperty("storage_bytes").GetInt64(), usage.GetProperty("embeddings_generated_month").GetInt64(), usage.GetProperty("vectors_stored").GetInt64());
    }

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
