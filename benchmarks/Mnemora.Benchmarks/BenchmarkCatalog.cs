namespace Mnemora.Benchmarks;

/// <summary>Every benchmark, by name. Add yours here.</summary>
internal static class BenchmarkCatalog
{
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new HealthBenchmark(),
        new MemoryBenchmark(),
        new AuthQuotaBenchmark(),
        new AgentPaceBenchmark(),
        new VectorBindingBenchmark(),
        new SemanticSearchBenchmark(),
        new HybridSearchBenchmark(),
        new PurgeBenchmark(),
        new ExportBenchmark(),
        new LoadBenchmark(),
        new NoisyNeighbourBenchmark(),
        new ExpensiveNeighbourBenchmark(),
        new McpBenchmark(),
        new WorstPageBenchmark(),
        new UnifiedSearchBenchmark(),
    ];

    /// <summary>Benchmarks of pure code that run without the system (started only when a selected benchmark needs it).</summary>
    public static IReadOnlyList<IOfflineBenchmark> Offline { get; } =
    [
        new DedupBenchmark(),
    ];
}

internal interface IBenchmark
{
    string Name { get; }

    string Description { get; }

    /// <summary>AppHost configuration the benchmark needs (e.g. the burst limit on); benchmarks with the same arguments share one start of the system, apart from the others.</summary>
    IReadOnlyList<string> SystemArguments => [];

    Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}

internal interface IOfflineBenchmark
{
    string Name { get; }

    string Description { get; }

    /// <summary>Runs and prints its results; false when the benchmark's goal is missed (the process then exits 1).</summary>
    Task<bool> RunAsync(CancellationToken cancellationToken);
}
