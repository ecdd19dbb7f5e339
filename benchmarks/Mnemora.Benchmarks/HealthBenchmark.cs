namespace Mnemora.Benchmarks;

/// <summary>The floor: an anonymous round trip through the API that touches every store's health check.</summary>
internal sealed class HealthBenchmark : IBenchmark
{
    public string Name => "health";

    public string Description => "GET /v1/health (checks all three stores) — the API's round-trip floor";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        using var api = context.CreateApiClient();
        await Measure.RunAsync("api GET /v1/health", async (_, ct) =>
        {
            using var response = await api.GetAsync("/v1/health", ct);
            response.EnsureSuccessStatusCode();
        }, operations: 1_000, cancellationToken: cancellationToken);
    }
}
