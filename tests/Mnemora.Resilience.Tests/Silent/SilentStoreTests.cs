using System.Diagnostics;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Silent;

/// <summary>
/// A store that accepts connections and never answers (a black hole: a hung server, a dropped route), not one
/// that is down: each store's proxy goes silent, including the connections the API already holds. What needs
/// that store answers 503 in the error envelope within the store clients' configured bound, what does not keeps
/// answering, and when the proxy forwards again everything recovers without a restart.
/// </summary>
/// <remarks>
/// What needs which store: every tenant route needs DynamoDB, since the API key is looked up there (a replica
/// trusts a lookup for 2 s) and calls are counted there (leases of the day's calls); the usage meter, state and
/// hot episodes live there too. So a silent DynamoDB leaves only what needs no store answering: the probes,
/// the OpenAPI document, and <c>/v1/health</c>, which names DynamoDB down and the others up. Semantic memory
/// needs PostgreSQL as well; an episode list needs S3 only when the agent has cold episodes (here every agent's
/// episodes go cold within seconds; an agent with none needs DynamoDB alone).
/// </remarks>
[Collection(SilentCollection.Name)]
public sealed class SilentStoreTests(SilentSystem system)
{
    /// <summary>
    /// The longest a call may take while a store is silent. Configured here: one DynamoDB attempt 1.5 s and S3
    /// 2 s, two attempts each (3 s, 4 s); PostgreSQL 3 s to connect, 5 s per statement (plus Npgsql's 2 s
    /// cancellation). A call meets the silence once, as its first failure ends it; a key lookup makes up to three
    /// DynamoDB calls. A hang would last the HTTP client's 100 s; the bound tells the two apart on a loaded
    /// machine (the project's tests set no wall-clock bound under 10 s), it is no latency target.
    /// </summary>
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_recovery = TimeSpan.FromSeconds(60);
    private const string Agent = "silent-agent";
    private const string ColdAgent = "silent-cold-agent";

    /// <summary>Each call the test makes, with the stores it needs.</summary>
    private static readonly IReadOnlyDictionary<string, string[]> s_needs = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["state.write"] = ["dynamodb"],
        ["state.read"] = ["dynamodb"],
        ["episode.append"] = ["dynamodb"],
        ["episode.list.cold"] = ["dynamodb", "s3"],
        ["episode.list.none"] = ["dynamodb"],
        ["semantic.store"] = ["dynamodb", "postgres"],
        ["semantic.search"] = ["dynamodb", "postgres"],
        ["usage"] = ["dynamodb"],
        ["alive"] = [],
        ["openapi"] = [],
    };

    [Theory]
    [InlineData("dynamodb")]
    [InlineData("postgres")]
    [InlineData("s3")]
    public async Task ASilentStoreIsA503WithinTheBoundForWhatNeedsItAndTheRestKeepsAnswering(string store)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var proxy = system.Proxies[store];
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);
        using var anonymous = system.CreateApiClient();
        await SeedAsync(tenant, cancellationToken);

        // Everything answers through the proxies before the silence (a store starved on a loaded machine may time
        // out a call, so the round is asked again, as a client would): the API's traffic goes through this proxy.
        await WaitUntilEveryCallSucceedsAsync(tenant, anonymous, $"before {store} went silent", cancellationToken);
        Assert.True(proxy.Accepted > 0, $"The API never connected to {store} through its proxy.");

        proxy.Silent = true;
        try
        {
            var health = await WaitForHealthAsync(store, up: false, cancellationToken);
            foreach (var other in health.GetProperty("stores").EnumerateObject().Where(s => s.Name != store))
            {
                Assert.Equal("up", other.Value.GetProperty("status").GetString());
            }

            var during = await CallAllAsync(tenant, anonymous, cancellationToken);
            var report = Report($"{store} silent", during);
            AssertRefusedOnlyWhatNeeds(store, during, report);

            // The measured figures (SECURITY.md quotes them): shown with --logger "console;verbosity=detailed".
            TestContext.Current.TestOutputHelper?.WriteLine(report);
        }
        finally
        {
            proxy.Silent = false;
        }

        // The API recovers without a restart: within a bounded time every call answers again.
        await WaitForHealthAsync(store, up: true, cancellationToken);
        await WaitUntilEveryCallSucceedsAsync(tenant, anonymous, $"after {store} answered again", cancellationToken);
    }

    /// <summary>
    /// An HTTP store (DynamoDB, S3) that answers a request's headers and then never sends the body (a store shutting
    /// down, a half-dead connection): the AWS clients' timeout ends at the headers, so only the API's own deadline on
    /// reading the answer stops the wait. What needs the store is a 503 within the bound, the rest keeps answering,
    /// and once the bodies flow again everything answers.
    /// </summary>
    [Theory]
    [InlineData("dynamodb")]
    [InlineData("s3")]
    public async Task AStoreThatStallsAfterTheHeadersIsA503WithinTheBound(string store)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var proxy = system.Proxies[store];
        using var tenant = await system.CreateTenantAsync("scale", cancellationToken);
        using var anonymous = system.CreateApiClient();
        await SeedAsync(tenant, cancellationToken);
        await WaitUntilEveryCallSucceedsAsync(tenant, anonymous, $"before {store} stalled", cancellationToken);

        var stalled = proxy.Stalled;
        proxy.StallBodies = true;
        try
        {
            var during = await CallAllAsync(tenant, anonymous, cancellationToken);
            var report = Report($"{store} stalling after the headers", during);

            // The stall happened: the store answered at least one request's headers and was cut off before its body.
            Assert.True(proxy.Stalled > stalled, $"No {store} answer was cut after its headers.\n{report}");
            AssertRefusedOnlyWhatNeeds(store, during, report);

            TestContext.Current.TestOutputHelper?.WriteLine(report);
        }
        finally
        {
            proxy.StallBodies = false;
        }

        await WaitUntilEveryCallSucceedsAsync(tenant, anonymous, $"after {store} sent bodies again", cancellationToken);
    }

    /// <summary>Every call ended within the bound: a 503 in the envelope when it needs the store, else a 2xx.</summary>
    private static void AssertRefusedOnlyWhatNeeds(string store, IReadOnlyList<Call> calls, string report)
    {
        foreach (var call in calls)
        {
            Assert.True(call.Elapsed < s_bound, $"{call.Name} took {call.Elapsed.TotalSeconds:0.0} s.\n{report}");
            if (s_needs[call.Name].Contains(store))
            {
                Assert.True(call.Status == 503, $"{call.Name} needs {store}: expected 503.\n{report}");
                Assert.Equal("application/problem+json", call.ContentType);
                using var body = JsonDocument.Parse(call.Body);
                Assert.Equal("SERVICE_UNAVAILABLE", body.RootElement.GetProperty("error").GetProperty("code").GetString());
            }
            else
            {
                Assert.True(call.Status is >= 200 and < 300, $"{call.Name} does not need {store}: expected 2xx.\n{report}");
            }
        }
    }

    /// <summary>Asks every call again until each answers 2xx, within <see cref="s_recovery"/>.</summary>
    private static async Task WaitUntilEveryCallSucceedsAsync(TestTenant tenant, HttpClient anonymous, string when, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var calls = await CallAllAsync(tenant, anonymous, cancellationToken);
            var failing = calls.Where(call => call.Status is < 200 or >= 300).ToList();
            if (failing.Count == 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < s_recovery, $"Not every call answered within {s_recovery.TotalSeconds} s {when}:\n{Report(when, failing)}");
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    /// <summary>A state to read and an agent whose episodes are all cold (in S3).</summary>
    private async Task SeedAsync(TestTenant tenant, CancellationToken cancellationToken)
    {
        await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/state",
            new { agent_id = Agent, session_id = "seed", data = new { seeded = true } }, cancellationToken), HttpStatusCode.Created);
        for (var i = 0; i < 3; i++)
        {
            await Envelope.ReadDataAsync(await tenant.Client.PostAsJsonAsync("/v1/memory/episodic",
                new { agent_id = ColdAgent, session_id = "seed", type = "observation", content = $"cold {i}" }, cancellationToken), HttpStatusCode.Created);
        }

        using var host = await MemoryHost.CreateAsync(system.App);
        var clock = Stopwatch.StartNew();
        while (await host.HotCountAsync(tenant.TenantId, ColdAgent, cancellationToken) > 0)
        {
            Assert.True(clock.Elapsed < s_recovery, $"The worker did not move {ColdAgent}'s episodes to S3 within {s_recovery}.");
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        Assert.NotEmpty(await host.ColdBatchesAsync(tenant.TenantId, ColdAgent, cancellationToken));
    }

    private static async Task<List<Call>> CallAllAsync(TestTenant tenant, HttpClient anonymous, CancellationToken cancellationToken)
    {
        // Concurrently, so a silent store costs the whole round one bound, not one per call.
        var n = Guid.NewGuid().ToString("N")[..8];
        return [.. await Task.WhenAll(s_needs.Keys.Select(name => CallAsync(name, name is "alive" or "openapi" ? anonymous : tenant.Client, Build(name, n), cancellationToken)))];
    }

    private static HttpRequestMessage Build(string name, string n) => name switch
    {
        "state.write" => Post("/v1/state", new { agent_id = Agent, session_id = $"s-{n}", data = new { n } }),
        "state.read" => new HttpRequestMessage(HttpMethod.Get, $"/v1/state/{Agent}?session_id=seed"),
        "episode.append" => Post("/v1/memory/episodic", new { agent_id = Agent, session_id = "hot", type = "action", content = $"episode {n}" }),
        "episode.list.none" => new HttpRequestMessage(HttpMethod.Get, $"/v1/memory/episodic/agent-{n}?limit=5"),
        "episode.list.cold" => new HttpRequestMessage(HttpMethod.Get, $"/v1/memory/episodic/{ColdAgent}?limit=5"),
        "semantic.store" => Post("/v1/memory/semantic", new { agent_id = Agent, content = $"Fact {n}: the shipment leaves dock seven at noon." }),
        "semantic.search" => Post("/v1/memory/semantic/search", new { query = "when does the shipment leave", agent_id = Agent, top_k = 3 }),
        "usage" => new HttpRequestMessage(HttpMethod.Get, "/v1/usage"),
        "alive" => new HttpRequestMessage(HttpMethod.Get, "/alive"),
        "openapi" => new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };

    private static async Task<Call> CallAsync(string name, HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            clock.Stop();
            return new Call(name, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, clock.Elapsed);
        }
    }

    private async Task<JsonElement> WaitForHealthAsync(string store, bool up, CancellationToken cancellationToken)
    {
        using var api = system.CreateApiClient();
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < s_recovery)
        {
            using var response = await api.GetAsync("/v1/health", cancellationToken);
            last = await response.Content.ReadAsStringAsync(cancellationToken);
            using var document = JsonDocument.Parse(last);
            var root = document.RootElement;
            var report = root.TryGetProperty("data", out var data) ? data : root;
            if (report.GetProperty("stores").GetProperty(store).GetProperty("status").GetString() == (up ? "up" : "down")
                && (!up || response.IsSuccessStatusCode))
            {
                return report.Clone();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        Assert.Fail($"{store} was not reported {(up ? "up" : "down")} within {s_recovery}; last health: {last}");
        return default;
    }

    private static string Report(string heading, IEnumerable<Call> calls) =>
        $"{heading}:\n" + string.Join("\n", calls.Select(c => $"  {c.Name,-18} {c.Status} in {c.Elapsed.TotalSeconds,5:0.0} s {(c.Status >= 300 ? c.Body[..Math.Min(160, c.Body.Length)] : "")}"));

    private sealed record Call(string Name, int Status, string? ContentType, string Body, TimeSpan Elapsed);
}
