namespace Mnemora.Benchmarks;

/// <summary>Every benchmark, by name. Add yours here.</summary>
internal static class BenchmarkCatalog
{
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new HealthBenchmark(),
        new MemoryBenchmark(),
        new AuthQuotaBenchmark(),
        new SemanticSearchBenchmark(),
        new PurgeBenchmark(),
        new ExportBenchmark(),
        new LoadBenchmark(),
        new NoisyNeighbourBenchmark(),
    ];
}

internal interface IBenchmark
{
    string Name { get; }

    string Description { get; }

    /// <summary>AppHost configuration the benchmark needs (e.g. the burst limit on); the system starts once with every selected benchmark's.</summary>
    IReadOnlyList<string> SystemArguments => [];

    Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}
