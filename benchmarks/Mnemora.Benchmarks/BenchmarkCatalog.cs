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
    ];
}

internal interface IBenchmark
{
    string Name { get; }

    string Description { get; }

    Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}
