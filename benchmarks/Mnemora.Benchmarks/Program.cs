using Mnemora.Benchmarks;

// dotnet run -c Release --project benchmarks/Mnemora.Benchmarks -- [--list] [name ...]
var all = BenchmarkCatalog.All;
if (args.Contains("--list"))
{
    foreach (var benchmark in all)
    {
        Console.WriteLine($"{benchmark.Name,-24} {benchmark.Description}");
    }

    return 0;
}

var unknown = args.Where(a => all.All(b => b.Name != a)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown benchmark(s): {string.Join(", ", unknown)}. Use --list.");
    return 2;
}

var selected = args.Length == 0 ? all : all.Where(b => args.Contains(b.Name)).ToList();
await using var context = await BenchmarkContext.StartAsync([.. selected.SelectMany(b => b.SystemArguments).Distinct()]);
foreach (var benchmark in selected)
{
    Console.WriteLine();
    Console.WriteLine($"## {benchmark.Name}: {benchmark.Description}");
    await benchmark.RunAsync(context, CancellationToken.None);
}

return 0;
