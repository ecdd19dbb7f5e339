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

        // Alternated twice, so neither side alone gets the warm caches.
        for (var round = 1; round <= 2; round++)
        {
            var viaHttp = await Measure.RunAsync($"http POST /v1/memory/search (round {round})", async (i, ct) =>
            {
                using var response = await http.PostAsJsonAsync("/v1/memory/search", new { query = s_queries[Math.Abs(i) % s_queries.Length], agent_id = Agent, top_k = 10 }, ct);
                response.EnsureSuccessStatusCode();
            }, operations: Operations, warmup: 20, cancellationToken: cancellationToken);

            var viaMcp = await Measure.RunAsync($"mcp recall (round {round})", async (i, ct) =>
            {
                var result = await mcp.CallToolAsync("recall", new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["query"] = s_queries[Math.Abs(i) % s_queries.Length],
                    ["agent_id"] = Agent,
                    ["top_k"] = 10,
                }, cancellationToken: ct);
                if (result.IsError == true)
                {
                    throw new InvalidOperationException(JsonSerializer.Serialize(result.Content));
                }
            }, operations: Operations, warmup: 20, cancellationToken: cancellationToken);

            Console.WriteLine($"MCP adds at p50 {viaMcp.Percentile(50) - viaHttp.Percentile(50):F2} ms, at p95 {viaMcp.Percentile(95) - viaHttp.Percentile(95):F2} ms, at p99 {viaMcp.Percentile(99) - viaHttp.Percentile(99):F2} ms (round {round})");
        }
    }
}
