using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Export;

/// <summary><c>POST /v1/memory/episodic/{agent}/summarize</c> without a chat model: an extractive summary of exactly the chosen episodes, stored as a semantic memory.</summary>
public sealed class SummaryTests(MnemoraApp system)
{
    private static readonly string[] s_trip =
    [
        "The customer wants to fly from Berlin to Lisbon on the first of December.",
        "She prefers a window seat. She will travel with one checked bag.",
        "I searched flights from Berlin to Lisbon for December first.",
        "TAP Air Portugal has a direct flight at 09:40 for 180 euros.",
        "The customer booked the 09:40 TAP flight to Lisbon.",
        "She asked for a hotel near Alfama for three nights.",
        "Hotel Alfama Patio has a double room for 95 euros a night.",
        "The customer booked Hotel Alfama Patio from December first to fourth.",
    ];

    [Fact]
    public async Task ASessionIsSummarisedIntoEpisodicSummariesFromItsOwnEpisodesOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var trip = await WriteAsync(tenant, "s-trip", s_trip, ct);
        await WriteAsync(tenant, "s-other", ["The printer on the third floor is out of toner again."], ct);

        var summary = await SummarizeAsync(tenant, new { session_id = "s-trip" }, HttpStatusCode.Created, ct);
        var content = summary.GetProperty("content").GetString()!;
        Assert.Equal("episodic_summaries", summary.GetProperty("namespace").GetString());
        Assert.Equal("agent-1", summary.GetProperty("agent_id").GetString());
        Assert.StartsWith("Summary of 8 episode(s), session s-trip, ", content, StringComparison.Ordinal);
        Assert.Contains("(8 conversation)", content, StringComparison.Ordinal);
        Assert.DoesNotContain("printer", content, StringComparison.Ordinal);
        Assert.Contains("Lisbon", content, StringComparison.Ordinal);
        Assert.Contains("Alfama", content, StringComparison.Ordinal);
        Assert.True(content.Length <= 2_000);
        var lines = content.Split('\n')[1..];
        Assert.InRange(lines.Length, 2, 8);
        Assert.All(lines, line => Assert.Matches(@"^- \[\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z, conversation\] .+", line));
        var sentences = s_trip.SelectMany(t => System.Text.RegularExpressions.Regex.Split(t, @"(?<=[.!?])\s+")).ToHashSet();
        Assert.All(lines, line => Assert.Contains(line[(line.IndexOf("] ", StringComparison.Ordinal) + 2)..], sentences));

        var metadata = summary.GetProperty("metadata");
        Assert.Equal("episodic_summary", metadata.GetProperty("source").GetString());
        Assert.Equal("extractive", metadata.GetProperty("method").GetString());
        Assert.Equal("s-trip", metadata.GetProperty("session_id").GetString());
        Assert.Equal(8, metadata.GetProperty("episode_count").GetInt32());
        Assert.Equal(Id(trip[0]), metadata.GetProperty("first_episode_id").GetString());
        Assert.Equal(Id(trip[^1]), metadata.GetProperty("last_episode_id").GetString());

        // It is a semantic memory like any other: readable by id and found by meaning in its namespace.
        var read = await Envelope.ReadDataAsync(await tenant.Client.GetAsync($"/v1/memory/semantic/{summary.GetProperty("id").GetString()}", ct), HttpStatusCode.OK);
        Assert.Equal(content, read.GetProperty("content").GetString());
        var found = await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/semantic/search",
            new { query = "Where is the customer staying in Lisbon?", @namespace = "episodic_summaries", top_k = 1 }, ct), HttpStatusCode.OK);
        Assert.Equal(summary.GetProperty("id").GetString(), found.GetProperty("results")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task NumEpisodesKeepsTheNewestAndFromToBoundTheWindow()
    {
        var ct = TestContext.Current.CancellationToken;
        using var tenant = await system.CreateTenantAsync("pro", ct);
        var trip = await WriteAsync(tenant, "s-trip", s_trip, ct);

        var newest = await SummarizeAsync(tenant, new { session_id = "s-trip", num_episodes = 3, @namespace = "notes" }, HttpStatusCode.Created, ct);
        Assert.Equal("notes", newest.GetProperty("namespace").GetString());
        Assert.Equal(3, newest.GetProperty("metadata").GetProperty("episode_count").GetInt32());
        Assert.Equal(Id(trip[5]), newest.GetProperty("metadata").GetProperty("first_episode_id").GetString());
        Assert.Equal(Id(trip[7]), newest.GetProperty("metadata").GetProperty("last_episode_id").GetString());
        Assert.DoesNotContain("window seat", newest.GetProperty("content").GetString(), StringComparison.Ordinal);

        var window = await SummarizeAsync(tenant, new { from = Timestamp(trip[1]), to = Timestamp(trip[3]) }, HttpStatusCode.Created, ct);
        var content = window.GetProperty("content").GetString()!;
        Assert.StartsWith("Summary of 3 episode(s), 1 session(s), ", content, StringComparison.Ordinal);
        Assert.Equal(Id(trip[1]), window.GetProperty("metadata").GetProperty("first_episode_id").GetString());
        Assert.Equal(Id(trip[3]), window.GetProperty("metadata").GetProperty("last_episode_id").GetString());
        Assert.DoesNotContain("Alfama", content, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, window.GetProperty("metadata").GetProperty("session_id").ValueKind);
    }

    [Fact]
    public async Task SummarizingWorksOnColdEpisodesToo()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = await MemoryHost.CreateAsync(system.App);
        using var tenant = await system.CreateTenantAsync("pro", ct);
        await WriteAsync(tenant, "s-trip", s_trip, ct);
        await host.Mover.MovePartitionAsync($"{tenant.TenantId}#agent-1", Mnemora.Storage.Memory.EpisodePosition.FormatTimestamp(DateTimeOffset.UtcNow) + "#~", null, ct);
        Assert.Equal(0, await host.HotCountAsync(tenant.TenantId, "agent-1", ct));

        var summary = await SummarizeAsync(tenant, new { session_id = "s-trip" }, HttpStatusCode.Created, ct);
        Assert.Equal(8, summary.GetProperty("metadata").GetProperty("episode_count").GetInt32());
    }

    [Fact]
    public async Task NothingToSummariseIs404AndBadRequestsAre400()
    {
        var ct = TestContext.Current.CancellationToken;
        using var owner = await system.CreateTenantAsync("pro", ct);
        using var other = await system.CreateTenantAsync("pro", ct);
        var trip = await WriteAsync(owner, "s-trip", s_trip[..2], ct);

        await Envelope.ReadErrorAsync(await Post(owner, new { session_id = "no-such-session" }, ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await Post(owner, new { from = DateTimeOffset.UtcNow.AddDays(1) }, ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await Post(other, new { session_id = "s-trip" }, ct), HttpStatusCode.NotFound, "NOT_FOUND");
        await Envelope.ReadErrorAsync(await Post(owner, new { num_episodes = 0 }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await Post(owner, new { num_episodes = 1001 }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await Post(owner, new { @namespace = "a#b" }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await Post(owner, new { session_id = "s#1" }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await Envelope.ReadErrorAsync(await Post(owner, new { from = "yesterday" }, ct), HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        var usage = await Envelope.ReadDataAsync(await other.Client.GetAsync("/v1/usage", ct), HttpStatusCode.OK);
        Assert.Equal(0, usage.GetProperty("vectors_stored").GetInt64());

        // An empty body summarises the newest episodes of every session.
        using var empty = new StringContent("", System.Text.Encoding.UTF8, "application/json");
        var all = await Envelope.ReadDataAsync(await owner.Client.PostAsync("/v1/memory/episodic/agent-1/summarize", empty, ct), HttpStatusCode.Created);
        Assert.Equal(Id(trip[0]), all.GetProperty("metadata").GetProperty("first_episode_id").GetString());
    }

    private static async Task<List<JsonElement>> WriteAsync(TestTenant tenant, string session, IEnumerable<string> texts, CancellationToken ct)
    {
        var written = new List<JsonElement>();
        foreach (var text in texts)
        {
            written.Add(await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/episodic",
                new { agent_id = "agent-1", session_id = session, type = "conversation", content = text }, ct), HttpStatusCode.Created));
        }

        return written;
    }

    private static Task<HttpResponseMessage> Post(TestTenant tenant, object body, CancellationToken ct) =>
        tenant.Client.PostAsJsonAsync("/v1/memory/episodic/agent-1/summarize", body, ct);

    private static async Task<JsonElement> SummarizeAsync(TestTenant tenant, object body, HttpStatusCode expected, CancellationToken ct) =>
        await Envelope.ReadDataAsync(await Post(tenant, body, ct), expected);

    private static string Id(JsonElement episode) => episode.GetProperty("id").GetString()!;

    private static string Timestamp(JsonElement episode) => episode.GetProperty("timestamp").GetString()!;
}
