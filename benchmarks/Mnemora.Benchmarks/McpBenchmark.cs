using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;

namespace Mnemora.Benchmarks;

/// <summary>
/// The MCP <c>recall</c> tool's round trip (official MCP client, Streamable HTTP, stateless) next to
/// <c>POST /v1/memory/search</c>, with the same queries against the same memories in the same run:
/// the difference is what MCP's framing (JSON-RPC, SSE, tool dispatch) adds.
/// </summary>
internal sealed class McpBenchmark : IBenchmark
{
    private const string Agent = "bench-agent";
    private const int Memories = 200;
    private const int Operations = 400;
    private const int WarmUp = 40;

    private static readonly string[] s_queries =
    [
        "how do I reset my password", "refund for a cancelled order", "shipping to Canada", "set up two-factor authentication",
        "download an invoice", "the Android app crashes", "delete my account", "API rate limits", "export data to CSV", "VPN access",
    ];

    public string Name => "mcp";

    public string Description => "MCP recall round trip vs POST /v1/memory/search (same queries, same run)";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var (_, http) = await context.CreateTenantAsync("scale", cancellationToken);
        using var _ = http;
        for (var i = 0; i < Memories; i++)
        {
            var content = $"Note {i}: customers asking about {s_queries[i % s_queries.Length]} get the standard answer, variant {i / s_queries.Length}.";
            (await http.PostAsJsonAsync("/v1/memory/semantic", new { agent_id = Agent, content }, cancellationToken)).EnsureSuccessStatusCode();
        }

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string>(StringComparer.Ordinal) { ["Authorization"] = http.DefaultRequestHeaders.Authorization!.ToString() },
        });
        await using var mcp = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);

        // Interleaved pairs, the order alternating, so that load from elsewhere on the machine and warm caches hit both
        // alike; the goal is on the distribution of the paired differences.
        var pairs = new PairedSeries();
        for (var i = -WarmUp; i < Operations; i++)
        {
            var query = s_queries[(i + WarmUp) % s_queries.Length];
            long httpTicks, mcpTicks;
            if (i % 2 == 0)
            {
                httpTicks = await TimeAsync(() => SearchAsync(http, query, cancellationToken));
                mcpTicks = await TimeAsync(() => RecallAsync(mcp, query, cancellationToken));
            }
            else
            {
                mcpTicks = await TimeAsync(() => RecallAsync(mcp, query, cancellationToken));
                httpTicks = await TimeAsync(() => SearchAsync(http, query, cancellationToken));
            }

            if (i >= 0)
            {
                pairs.Record(mcpTicks, httpTicks);
            }
        }

        var viaMcp = pairs.First("mcp recall (same query, paired)");
        var viaHttp = pairs.Second("http POST /v1/memory/search");
        Console.WriteLine(viaHttp);
        Console.WriteLine(viaMcp);
        BenchmarkResults.Goal(Name, "MCP recall adds <= 2 ms at p50 over the HTTP search (paired)", pairs.Difference(50) <= 2,
            $"{pairs.Difference(50):F2} ms; p95 {pairs.Difference(95):F2} ms; http p50 {viaHttp.Percentile(50):F2} ms, mcp p50 {viaMcp.Percentile(50):F2} ms");
    }

    private static async Task<long> TimeAsync(Func<Task> call)
    {
        var begin = Stopwatch.GetTimestamp();
        await call();
        return Stopwatch.GetElapsedTime(begin).Ticks;
    }

    private static async Task SearchAsync(HttpClient http, string query, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("/v1/memory/search", new { query, agent_id = Agent, top_k = 10 }, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private static async Task RecallAsync(McpClient mcp, string query, CancellationToken cancellationToken)
    {
        var result = await mcp.CallToolAsync("recall", new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["query"] = query,
            ["agent_id"] = Agent,
            ["top_k"] = 10,
        }, cancellationToken: cancellationToken);
        if (result.IsError == true)
        {
            throw new InvalidOperationException(JsonSerializer.Serialize(result.Content));
        }
    }
}
