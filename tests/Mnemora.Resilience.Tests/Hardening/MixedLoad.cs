using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Mnemora.Api.Tests.Infrastructure;

namespace Mnemora.Api.Tests.Hardening;

/// <summary>A call of the load: what it did, in which phase it started and ended, how it was answered and how fast.</summary>
public sealed record LoadOutcome(int Tenant, string Op, string PhaseAtStart, string PhaseAtEnd, HttpStatusCode Status, TimeSpan Elapsed, string Body);

/// <summary>A write the API acknowledged with a 2xx: it must be readable after any outage.</summary>
public sealed record Acknowledged(int Tenant, string Kind, string Key, string Value);

/// <summary>
/// Steady mixed traffic from a few tenants, one loop per tenant and operation, each call followed by
/// a pause (well under the burst limit): state writes (a session each) and reads, episode appends and lists, semantic
/// stores and searches, usage. Every answer is recorded with the phase it fell in; every 2xx write
/// is remembered for reading back.
/// </summary>
public sealed class MixedLoad(IReadOnlyList<TestTenant> tenants, TimeSpan pause)
{
    public const string Agent = "load-agent";

    /// <summary>
    /// The stores each operation needs: every tenant call needs DynamoDB (key and quota); a list reads
    /// S3 too, as the agent's oldest episodes are cold (<see cref="SeedColdEpisodesAsync"/>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Needs = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["state.write"] = ["dynamodb"],
        ["state.read"] = ["dynamodb"],
        ["episode.append"] = ["dynamodb"],
        ["episode.list"] = ["dynamodb", "s3"],
        ["semantic.store"] = ["dynamodb", "postgres"],
        ["semantic.search"] = ["dynamodb", "postgres"],
        ["usage"] = ["dynamodb"],
    };

    private readonly string[] _ops = [.. Needs.Keys];
    private volatile string _phase = "before";

    public ConcurrentQueue<LoadOutcome> Outcomes { get; } = new();

    public ConcurrentQueue<Acknowledged> Acknowledged { get; } = new();

    public string Phase
    {
        get => _phase;
        set => _phase = value;
    }

    /// <summary>Runs until <paramref name="stop"/> is cancelled: one loop per tenant and operation, so a slow call holds up only its own kind.</summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(tenants.SelectMany((tenant, index) =>
        {
            var lastState = new StrongBox<int>(-1);
            return _ops.Select(op => Task.Run(() => RunLoopAsync(index, tenant, op, lastState, stop), CancellationToken.None));
        }));

    private async Task RunLoopAsync(int index, TestTenant tenant, string op, StrongBox<int> lastState, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            using var request = Build(op, n, Volatile.Read(ref lastState.Value));
            var phase = Phase;
            var clock = Stopwatch.StartNew();
            HttpStatusCode status;
            string body;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                try
                {
                    using var response = await tenant.Client.SendAsync(request, timeout.Token);
                    status = response.StatusCode;
                    body = await response.Content.ReadAsStringAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    status = HttpStatusCode.RequestTimeout;
                    body = "(no answer within 30 s)";
                }
            }

            Outcomes.Enqueue(new LoadOutcome(index, op, phase, Phase, status, clock.Elapsed, body));
            if ((int)status is >= 200 and < 300)
            {
                Remember(index, op, n, body, lastState);
            }

            try
            {
                await Task.Delay(pause, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static HttpRequestMessage Build(string op, int n, int lastState) => op switch
    {
        "state.write" => Post("/v1/state", new { agent_id = Agent, session_id = $"w{n}", data = new { n } }),
        "state.read" => new HttpRequestMessage(HttpMethod.Get, $"/v1/state/{Agent}?session_id=w{Math.Max(0, lastState)}"),
        "episode.append" => Post("/v1/memory/episodic", new { agent_id = Agent, session_id = "load", type = "action", content = $"episode {n}" }),
        "episode.list" => new HttpRequestMessage(HttpMethod.Get, $"/v1/memory/episodic/{Agent}?limit=20"),
        "semantic.store" => Post("/v1/memory/semantic", new { agent_id = Agent, content = $"Load fact {n}: shipment {Guid.NewGuid():N} leaves dock {n % 17} at {n % 24}:00." }),
        "semantic.search" => Post("/v1/memory/semantic/search", new { query = "when does the shipment leave the dock", agent_id = Agent, top_k = 5 }),
        _ => new HttpRequestMessage(HttpMethod.Get, "/v1/usage"),
    };

    private static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };

    private void Remember(int tenant, string op, int n, string body, StrongBox<int> lastState)
    {
        using var document = JsonDocument.Parse(body);
        var data = document.RootElement.GetProperty("data");
        switch (op)
        {
            case "state.write":
                Volatile.Write(ref lastState.Value, n);
                Acknowledged.Enqueue(new Acknowledged(tenant, "state", $"w{n}", n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                break;
            case "episode.append":
                Acknowledged.Enqueue(new Acknowledged(tenant, "episode", data.GetProperty("id").GetString()!, data.GetProperty("content").GetString()!));
                break;
            case "semantic.store":
                Acknowledged.Enqueue(new Acknowledged(tenant, "semantic", data.GetProperty("id").GetString()!, data.GetProperty("deduplicated").GetBoolean() ? "" : data.GetProperty("content").GetString()!));
                break;
        }
    }

    /// <summary>Gives each tenant's load agent a few episodes and waits until the worker has moved them to S3.</summary>
    public async Task SeedColdEpisodesAsync(Func<string, CancellationToken, Task<int>> hotCount, TimeSpan within, CancellationToken cancellationToken)
    {
        foreach (var (tenant, index) in tenants.Select((t, i) => (t, i)))
        {
            for (var i = 0; i < 3; i++)
            {
                var created = await Envelope.ReadDataAsync(
                    await tenant.Client.PostAsJsonAsync("/v1/memory/episodic", new { agent_id = Agent, session_id = "seed", type = "observation", content = $"seed {i}" }, cancellationToken),
                    HttpStatusCode.Created);
                Acknowledged.Enqueue(new Acknowledged(index, "episode", created.GetProperty("id").GetString()!, $"seed {i}"));
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        foreach (var tenant in tenants)
        {
            while (await hotCount(tenant.TenantId, timeout.Token) > 0)
            {
                await Task.Delay(250, timeout.Token);
            }
        }
    }

    /// <summary>A GET that waits out the burst limit (429 + Retry-After) instead of failing on it.</summary>
    public static async Task<HttpResponseMessage> GetPacedAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.GetAsync(url, cancellationToken);
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt == 20)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait, cancellationToken);
        }
    }

    /// <summary>Reads every acknowledged write back; returns what is missing or wrong (empty when nothing was lost).</summary>
    public async Task<IReadOnlyList<string>> FindLostAsync(CancellationToken cancellationToken)
    {
        var lost = new List<string>();
        foreach (var group in Acknowledged.GroupBy(a => a.Tenant))
        {
            var client = tenants[group.Key].Client;
            foreach (var state in group.Where(a => a.Kind == "state"))
            {
                using var response = await GetPacedAsync(client, $"/v1/state/{Agent}?session_id={state.Key}", cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK || JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("data").GetProperty("n").ToString() != state.Value)
                {
                    lost.Add($"tenant {group.Key} state {state.Key}: {(int)response.StatusCode} {body}");
                }
            }

            var episodes = await ReadAllEpisodesAsync(client, cancellationToken);
            var duplicates = episodes.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            lost.AddRange(duplicates.Select(id => $"tenant {group.Key} episode {id} is listed more than once"));
            var listed = episodes.ToDictionary(e => e.Id, e => e.Content);
            foreach (var episode in group.Where(a => a.Kind == "episode"))
            {
                if (!listed.TryGetValue(episode.Key, out var content) || content != episode.Value)
                {
                    lost.Add($"tenant {group.Key} episode {episode.Key} ({episode.Value}) is {(content is null ? "missing" : $"'{content}'")}");
                }
            }

            foreach (var memory in group.Where(a => a.Kind == "semantic"))
            {
                using var response = await GetPacedAsync(client, $"/v1/memory/semantic/{memory.Key}", cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK
                    || (memory.Value.Length > 0 && JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("content").GetString() != memory.Value))
                {
                    lost.Add($"tenant {group.Key} memory {memory.Key}: {(int)response.StatusCode} {body}");
                }
            }
        }

        return lost;
    }

    /// <summary>Every episode of the load agent, through the API (all pages, hot and cold).</summary>
    public static async Task<IReadOnlyList<(string Id, string Content)>> ReadAllEpisodesAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var all = new List<(string, string)>();
        string? cursor = null;
        for (var page = 0; page < 100; page++)
        {
            var url = $"/v1/memory/episodic/{Agent}?limit=1000" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            var data = await Envelope.ReadDataAsync(await GetPacedAsync(client, url, cancellationToken), HttpStatusCode.OK);
            all.AddRange(data.GetProperty("episodes").EnumerateArray().Select(e => (e.GetProperty("id").GetString()!, e.GetProperty("content").GetString()!)));
            cursor = data.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            if (cursor is null)
            {
                return all;
            }
        }

        throw new InvalidOperationException("Paging did not end.");
    }
}
