using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;
using Mnemora.Api.Tests.Memory;
using Mnemora.Api.Tests.Tiering;
using Mnemora.Storage.Memory;

namespace Mnemora.Api.Tests.Export;

/// <summary>Export then import reproduces every record of every store, hot and cold, and importing twice changes nothing.</summary>
// Its tiering worker moves every partition older than a day: not while another test imports old episodes.
[Collection(nameof(OldEpisodes))]
public sealed class ExportImportTests(MnemoraApp system)
{
    private const string Agent = "agent-1";

    [Fact]
    public async Task ExportThenImportIntoAFreshTenantReproducesEveryRecordHotAndCold()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var source = await system.CreateTenantAsync("pro", ct);
        using var target = await system.CreateTenantAsync("pro", ct);
        var seeded = await SeedAsync(source, host, Agent, ct);
        Assert.NotEmpty(await host.ColdBatchesAsync(source.TenantId, Agent, ct));
        Assert.Equal(3, await host.HotCountAsync(source.TenantId, Agent, ct));

        var exported = await source.ExportAgentAsync(Agent, ct);
        var records = TransferClient.Records(exported);
        Assert.Equal(2, TransferClient.Records(exported, "state").Count);
        Assert.Equal(11, TransferClient.Records(exported, "episode").Count);
        Assert.Equal(3, TransferClient.Records(exported, "semantic").Count);
        Assert.Equal(seeded.EpisodeIds, TransferClient.Records(exported, "episode").Select(e => e.GetProperty("id").GetString()));
        Assert.DoesNotContain(records, r => r.GetRawText().Contains(seeded.DeletedContent, StringComparison.Ordinal));
        Assert.All(TransferClient.Records(exported, "semantic"), s => Assert.Equal(384 * 4, Convert.FromBase64String(s.GetProperty("embedding").GetString()!).Length));

        var imported = await target.ImportOkAsync(exported, ct);
        Assert.Equal(16, imported.GetProperty("records").GetInt32());
        Assert.Equal("""{"state":2,"episode":11,"semantic":3}""", imported.GetProperty("imported").GetRawText());
        Assert.Equal(0, imported.GetProperty("embeddings_generated").GetInt32());

        var reexported = await target.ExportAgentAsync(Agent, ct);
        AssertSameRecords(exported, reexported);
        var sourceIds = TransferClient.Records(exported, "semantic").Select(s => s.GetProperty("id").GetString()).ToHashSet();
        Assert.DoesNotContain(TransferClient.Records(reexported, "semantic"), s => sourceIds.Contains(s.GetProperty("id").GetString()));

        // The regular routes see the same: state with its version and times, episodes in order, memories by meaning.
        foreach (var path in (string[])[$"/v1/state/{Agent}", $"/v1/state/{Agent}?session_id=with-ttl", $"/v1/memory/episodic/{Agent}?limit=1000"])
        {
            Assert.Equal(
                (await Envelope.ReadDataAsync(await source.Client.GetAsync(path, ct), HttpStatusCode.OK)).GetRawText(),
                (await Envelope.ReadDataAsync(await target.Client.GetAsync(path, ct), HttpStatusCode.OK)).GetRawText());
        }

        var found = await Envelope.ReadDataAsync(await target.Client.PostAsJsonAsync("/v1/memory/semantic/search",
            new { query = "Which airline does the customer prefer?", agent_id = Agent, top_k = 1 }, ct), HttpStatusCode.OK);
        Assert.Equal("The customer prefers TAP Air Portugal for flights to Lisbon.", found.GetProperty("results")[0].GetProperty("content").GetString());

        var usage = await Envelope.ReadDataAsync(await target.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        Assert.Equal(3, usage.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(1, usage.GetProperty("agents_count").GetInt64());
        Assert.Equal(4, usage.GetProperty("sessions_count").GetInt64());
        Assert.True(usage.GetProperty("storage").GetProperty("dynamo_bytes").GetInt64() > 0);
        Assert.True(usage.GetProperty("storage").GetProperty("postgres_bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task ImportingTheSameFileTwiceDuplicatesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var source = await system.CreateTenantAsync("pro", ct);
        using var target = await system.CreateTenantAsync("pro", ct);
        await SeedAsync(source, host, Agent, ct);
        var exported = await source.ExportAgentAsync(Agent, ct);

        await target.ImportOkAsync(exported, ct);
        var first = await target.ExportAgentAsync(Agent, ct);
        var usageBefore = await Envelope.ReadDataAsync(await target.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);

        var again = await target.ImportOkAsync(exported, ct);
        Assert.Equal(0, again.GetProperty("imported").GetProperty("episode").GetInt32());
        Assert.Equal(11, again.GetProperty("skipped").GetProperty("existing_episode").GetInt32());
        Assert.Equal(TransferClient.Records(first).Select(r => r.GetRawText()), TransferClient.Records(await target.ExportAgentAsync(Agent, ct)).Select(r => r.GetRawText()));
        var usageAfter = await Envelope.ReadDataAsync(await target.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        Assert.Equal(usageBefore.GetProperty("vectors_stored").GetInt64(), usageAfter.GetProperty("vectors_stored").GetInt64());
        Assert.Equal(usageBefore.GetProperty("storage").GetRawText(), usageAfter.GetProperty("storage").GetRawText());

        // A tenant restoring its own export overwrites its memories in place (same ids), never adds copies.
        var restored = await source.ImportOkAsync(exported, ct);
        Assert.Equal(3, restored.GetProperty("imported").GetProperty("semantic").GetInt32());
        Assert.Equal(TransferClient.Records(exported).Select(r => r.GetRawText()), TransferClient.Records(await source.ExportAgentAsync(Agent, ct)).Select(r => r.GetRawText()));
    }

    [Fact]
    public async Task ImportedOldEpisodesAreFoundAndMovedToS3ByTheTieringWorker()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var start = DateTimeOffset.UtcNow.AddDays(-3);
        var lines = Enumerable.Range(0, 20).Select(i => EpisodeLine(start.AddMinutes(i * 7), $"old {i}", "s-old"))
            .Concat(Enumerable.Range(0, 2).Select(i => EpisodeLine(DateTimeOffset.UtcNow.AddSeconds(i - 2), $"new {i}", "s-new")))
            .ToList();
        var file = TransferClient.File(lines);
        await tenant.ImportOkAsync(file, ct);
        Assert.Equal(22, await host.HotCountAsync(tenant.TenantId, Agent, ct));

        // A worker that keeps one day hot moves exactly the imported old episodes.
        await using (var worker = await WorkerProcess.StartAsync(system.App, TimeSpan.FromDays(1), faultFile: null))
        {
            await UntilAsync(worker, "move the imported episodes", async t => await host.HotCountAsync(tenant.TenantId, Agent, t) <= 2, ct);
        }

        Assert.Equal(20, (await host.ColdBatchesAsync(tenant.TenantId, Agent, ct)).Sum(b => b.Count));
        AssertSameRecords(file, await tenant.ExportAgentAsync(Agent, ct));
    }

    [Fact]
    public async Task TheWorkerProcessDeletesEpisodesPastTheTenantsRetentionHotAndCold()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var now = DateTimeOffset.UtcNow;
        await tenant.ImportOkAsync(TransferClient.File(
            [
                .. Enumerable.Range(0, 10).Select(i => EpisodeLine(now.AddDays(-60).AddMinutes(i), $"expired {i}", "s-expired")),
                .. Enumerable.Range(0, 10).Select(i => EpisodeLine(now.AddDays(-5).AddMinutes(i), $"kept {i}", "s-kept")),
                .. Enumerable.Range(0, 2).Select(i => EpisodeLine(now.AddSeconds(i - 2), $"new {i}", "s-new")),
            ]), ct);

        // With no retention set, a worker keeping one day hot moves all twenty old episodes to S3.
        await using (var worker = await WorkerProcess.StartAsync(system.App, TimeSpan.FromDays(1), faultFile: null))
        {
            await UntilAsync(worker, "move the old episodes", async t => await host.HotCountAsync(tenant.TenantId, Agent, t) == 2, ct);
        }

        Assert.Equal(20, (await host.ColdBatchesAsync(tenant.TenantId, Agent, ct)).Sum(b => b.Count));

        // Thirty days of retention, and five more hot episodes older than that.
        using (var admin = system.CreateOperatorClient())
        {
            await Envelope.ReadDataAsync(await admin.PatchAsJsonAsync($"/admin/v1/tenants/{tenant.TenantId}", new { retention_days = 30 }, ct), HttpStatusCode.OK);
        }

        await tenant.ImportOkAsync(TransferClient.File([.. Enumerable.Range(0, 5).Select(i => EpisodeLine(now.AddDays(-45).AddMinutes(i), $"expired hot {i}", "s-expired-hot"))]), ct);
        Assert.Equal(7, await host.HotCountAsync(tenant.TenantId, Agent, ct));

        // The next worker's first cycle enforces it: the cold batch past it and the hot episodes past it are gone.
        await using (var worker = await WorkerProcess.StartAsync(system.App, TimeSpan.FromDays(1), faultFile: null))
        {
            await UntilAsync(worker, "delete the episodes past retention", async t =>
                await host.HotCountAsync(tenant.TenantId, Agent, t) == 2 && (await host.ColdBatchesAsync(tenant.TenantId, Agent, t)).Sum(b => b.Count) == 10, ct);
        }

        var left = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/episodic/{Agent}?limit=1000", ct), HttpStatusCode.OK);
        Assert.Equal(
            [.. Enumerable.Range(0, 10).Select(i => $"kept {i}"), "new 0", "new 1"],
            left.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("content").GetString()!).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Polls until the condition holds, for at most two minutes; fails with the worker's output otherwise.</summary>
    private static async Task UntilAsync(WorkerProcess worker, string what, Func<CancellationToken, Task<bool>> condition, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            while (!await condition(timeout.Token))
            {
                await Task.Delay(250, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail($"The worker did not {what} within 2 minutes. Its output:\n{worker.Output}");
        }
    }

    [Fact]
    public async Task ExportsCanLeaveEmbeddingsOutAndTheImportEmbedsTheContentAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var source = await system.CreateTenantAsync("pro", ct);
        using var target = await system.CreateTenantAsync("pro", ct);
        await SeedAsync(source, host, Agent, ct);

        var withEmbeddings = await source.ExportAgentAsync(Agent, ct);
        var without = await source.Client.ExportAsync($"/v1/memory/{Agent}/export?embeddings=false", ct);
        Assert.All(TransferClient.Records(without, "semantic"), s => Assert.False(s.TryGetProperty("embedding", out _)));
        await Envelope.ReadErrorAsync(await source.Client.GetAsync($"/v1/memory/{Agent}/export?embeddings=maybe", ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        var imported = await target.ImportOkAsync(without, ct);
        Assert.Equal(3, imported.GetProperty("embeddings_generated").GetInt32());
        // The same local model embeds the same text: the vectors come back as they were (to float rounding).
        var original = TransferClient.Records(withEmbeddings, "semantic").ToDictionary(s => s.GetProperty("content").GetString()!, Vector);
        foreach (var memory in TransferClient.Records(await target.ExportAgentAsync(Agent, ct), "semantic"))
        {
            var expected = original[memory.GetProperty("content").GetString()!];
            var actual = Vector(memory);
            Assert.True(expected.Zip(actual).Sum(p => p.First * p.Second) > 0.999, "The re-embedded vector differs from the exported one.");
        }
    }

    /// <summary>State (two sessions, one with a TTL, version 2), 8 episodes moved to S3 and 3 hot, 3 live semantic memories and a deleted one.</summary>
    internal static async Task<Seeded> SeedAsync(TestTenant tenant, MemoryHost host, string agentId, CancellationToken ct)
    {
        var api = tenant.Client;
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = agentId, data = new { goal = "book a flight", step = 1 } }, ct), HttpStatusCode.Created);
        await Envelope.ReadDataAsync(await api.PutAsJsonAsync($"/v1/state/{agentId}", new { data = new { goal = "book a flight", step = 2, note = "ünïcode ✓ \"quoted\"\nnew line" }, version = 1 }, ct), HttpStatusCode.OK);
        await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/state", new { agent_id = agentId, session_id = "with-ttl", data = new { scratch = new[] { 1, 2, 3 } }, ttl_hours = 24 }, ct), HttpStatusCode.Created);

        var cold = await EpisodicApi.WriteAsync(api, agentId, 8, i => $"s{i % 2}", ct);
        await host.Mover.MovePartitionAsync($"{tenant.TenantId}#{agentId}", EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);
        var hot = await EpisodicApi.WriteAsync(api, agentId, 3, _ => "s1", ct);

        foreach (var (content, ns) in new[]
        {
            ("The customer prefers TAP Air Portugal for flights to Lisbon.", "default"),
            ("Invoices are sent on the first working day of each month.", "billing"),
            ("The customer's dog is called Biscuit.", "default"),
        })
        {
            await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = agentId, content, @namespace = ns, metadata = new { source = "test", nested = new { ok = true, n = 1.5 } } }, ct), HttpStatusCode.Created);
        }

        const string deleted = "A forgotten fact about quarterly tax filings.";
        var gone = await Envelope.ReadDataAsync(await api.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = agentId, content = deleted }, ct), HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/v1/memory/semantic/{gone.GetProperty("id").GetString()}", ct)).StatusCode);
        return new Seeded([.. EpisodicApi.Ids(cold), .. EpisodicApi.Ids(hot)], deleted);
    }

    /// <summary>Every record is the same, but for the ids semantic memories get in another tenant.</summary>
    internal static void AssertSameRecords(string expected, string actual)
    {
        static List<string> Keyed(string ndjson) => [.. TransferClient.Records(ndjson).Select(TransferClient.WithoutId).Order(StringComparer.Ordinal)];
        Assert.Equal(Keyed(expected), Keyed(actual));
        Assert.Equal(
            TransferClient.Records(expected).Where(r => r.GetProperty("memory_type").GetString() != "semantic").Select(r => r.GetRawText()),
            TransferClient.Records(actual).Where(r => r.GetProperty("memory_type").GetString() != "semantic").Select(r => r.GetRawText()));
    }

    internal static string EpisodeLine(DateTimeOffset at, string content, string session, string agentId = Agent) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["memory_type"] = "episode",
            ["id"] = Guid.CreateVersion7(at).ToString("D"),
            ["agent_id"] = agentId,
            ["session_id"] = session,
            ["type"] = "conversation",
            ["content"] = content,
            ["metadata"] = new Dictionary<string, object> { ["imported"] = true },
            ["timestamp"] = EpisodePosition.FormatTimestamp(at),
        });

    private static float[] Vector(JsonElement memory)
    {
        var bytes = Convert.FromBase64String(memory.GetProperty("embedding").GetString()!);
        return [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, i * 4))];
    }

    internal sealed record Seeded(List<string> EpisodeIds, string DeletedContent);
}
