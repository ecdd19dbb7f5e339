using Mnemora.Benchmarks;

// dotnet run -c Release --project benchmarks/Mnemora.Benchmarks -- [--list] [name ...]
var all = BenchmarkCatalog.All;
var offline = BenchmarkCatalog.Offline;
if (args.Contains("--list"))
{
    foreach (var (name, description) in all.Select(b => (b.Name, b.Description)).Concat(offline.Select(b => (b.Name, b.Description))))
    {
        Console.WriteLine($"{name,-24} {description}");
    }

    return 0;
}

var unknown = args.Where(a => all.All(b => b.Name != a) && offline.All(b => b.Name != a)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown benchmark(s): {string.Join(", ", unknown)}. Use --list.");
    return 2;
}

var goalsMet = true;
foreach (var benchmark in args.Length == 0 ? offline : offline.Where(b => args.Contains(b.Name)))
{
    Console.WriteLine();
    Console.WriteLine($"## {benchmark.Name}: {benchmark.Description}");
    goalsMet &= await benchmark.RunAsync(CancellationToken.None);
}

// The system starts only for the benchmarks that need it, once per configuration: the load series
// (burst limit on) run apart from the latency series.
var selected = args.Length == 0 ? all : all.Where(b => args.Contains(b.Name)).ToList();
foreach (var group in selected.GroupBy(b => string.Join(' ', b.SystemArguments), StringComparer.Ordinal))
{
    await using var context = await BenchmarkContext.StartAsync([.. group.First().SystemArguments]);
    foreach (var benchmark in group)
    {
        Console.WriteLine();
        Console.WriteLine($"## {benchmark.Name}: {benchmark.Description}");
        await benchmark.RunAsync(context, CancellationToken.None);
    }
}

BenchmarkResults.WriteReadme(args);
return goalsMet ? 0 : 1;
