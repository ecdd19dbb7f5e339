using System.Diagnostics;
using HdrHistogram;
using Npgsql;
using Pgvector;

namespace Mnemora.Benchmarks;

/// <summary>
/// What pgvector's binary form saves over <c>real[]</c> cast in SQL: the same 384-dimension vector
/// bound both ways and read back, interleaved, against the running PostgreSQL.
/// </summary>
internal sealed class VectorBindingBenchmark : IBenchmark
{
    private const int Operations = 2_000;
    private const int Dimensions = 384;

    public string Name => "vector-binding";

    public string Description => "A 384-d vector bound and read back as pgvector binary (Pgvector UseVector) vs real[] cast in SQL";

    public async Task RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var connectionString = await context.ConnectionStringAsync("postgres");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        await using var binary = builder.Build();
        await using var array = NpgsqlDataSource.Create(connectionString);
        var random = new Random(7);
        var values = Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var vector = new Vector(values);

        var binaryHistogram = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var arrayHistogram = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        await using var binaryConnection = await binary.OpenConnectionAsync(cancellationToken);
        await using var arrayConnection = await array.OpenConnectionAsync(cancellationToken);
        await using var binaryCommand = new NpgsqlCommand("SELECT @v, @v <=> @v", binaryConnection);
        binaryCommand.Parameters.AddWithValue("v", vector);
        await using var arrayCommand = new NpgsqlCommand("SELECT @v::vector::real[], @v::vector <=> @v::vector", arrayConnection);
        arrayCommand.Parameters.AddWithValue("v", values);
        long binaryTotal = 0, arrayTotal = 0;
        for (var i = -100; i < Operations; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            await using (var reader = await binaryCommand.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                _ = reader.GetFieldValue<Vector>(0).ToArray();
            }

            var binaryTicks = Stopwatch.GetElapsedTime(begin).Ticks;
            begin = Stopwatch.GetTimestamp();
            await using (var reader = await arrayCommand.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                _ = reader.GetFieldValue<float[]>(0);
            }

            var arrayTicks = Stopwatch.GetElapsedTime(begin).Ticks;
            if (i >= 0)
            {
                binaryTotal += binaryTicks;
                arrayTotal += arrayTicks;
                binaryHistogram.RecordValue(binaryTicks);
                arrayHistogram.RecordValue(arrayTicks);
            }
        }

        var binarySeries = new Measurement("pgvector binary: bind + read back", binaryHistogram.TotalCount, TimeSpan.FromTicks(binaryTotal), binaryHistogram);
        var arraySeries = new Measurement("real[] cast in SQL: bind + read back", arrayHistogram.TotalCount, TimeSpan.FromTicks(arrayTotal), arrayHistogram);
        Console.WriteLine(binarySeries);
        Console.WriteLine(arraySeries);
        BenchmarkResults.Figure(Name,
            $"p50 {binarySeries.Percentile(50):F3} vs {arraySeries.Percentile(50):F3} ms (saves {arraySeries.Percentile(50) - binarySeries.Percentile(50):F3} ms per round trip); p99 {binarySeries.Percentile(99):F3} vs {arraySeries.Percentile(99):F3} ms");
    }
}
