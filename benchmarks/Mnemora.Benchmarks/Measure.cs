using System.Diagnostics;
using HdrHistogram;

namespace Mnemora.Benchmarks;

/// <summary>One measured series: latencies in a histogram, and throughput over the wall-clock time.</summary>
internal sealed record Measurement(string Label, long Count, TimeSpan Elapsed, LongHistogram Histogram)
{
    public double Percentile(double p) => Histogram.GetValueAtPercentile(p) / (double)TimeSpan.TicksPerMillisecond;

    public double Throughput => Count / Elapsed.TotalSeconds;

    public static string Header => $"{"series",-40} {"n",8} {"ops/s",10} {"p50 ms",9} {"p95 ms",9} {"p99 ms",9} {"max ms",9}";

    public override string ToString() =>
        $"{Label,-40} {Count,8} {Throughput,10:F0} {Percentile(50),9:F2} {Percentile(95),9:F2} {Percentile(99),9:F2} {Histogram.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond,9:F2}";
}

internal static class Measure
{
    /// <summary>
    /// Runs <paramref name="operation"/> <paramref name="operations"/> times over <paramref name="concurrency"/>
    /// workers, after <paramref name="warmup"/> unmeasured calls, and stops early at <paramref name="maxDuration"/>.
    /// The operation gets its sequence number.
    /// </summary>
    public static async Task<Measurement> RunAsync(
        string label,
        Func<int, CancellationToken, Task> operation,
        int operations = 2_000,
        int concurrency = 1,
        int warmup = 100,
        TimeSpan? maxDuration = null,
        CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < warmup; i++)
        {
            await operation(-1 - i, cancellationToken);
        }

        var histogram = new LongHistogram(TimeSpan.TicksPerMinute, 3);
        var deadline = Stopwatch.StartNew();
        var limit = maxDuration ?? TimeSpan.FromMinutes(2);
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var local = new LongHistogram(TimeSpan.TicksPerMinute, 3);
            int sequence;
            while ((sequence = Interlocked.Increment(ref next)) < operations && deadline.Elapsed < limit)
            {
                var begin = Stopwatch.GetTimestamp();
                await operation(sequence, cancellationToken);
                local.RecordValue(Stopwatch.GetElapsedTime(begin).Ticks);
            }

            return local;
        }).ToList();

        foreach (var local in await Task.WhenAll(workers))
        {
            histogram.Add(local);
        }

        var measurement = new Measurement(label, histogram.TotalCount, Stopwatch.GetElapsedTime(started), histogram);
        Console.WriteLine(measurement);
        return measurement;
    }

    /// <summary>Times one run of a long operation (a purge, a cold replay) and prints it.</summary>
    public static async Task<TimeSpan> OnceAsync(string label, Func<CancellationToken, Task> operation, CancellationToken cancellationToken = default)
    {
        var begin = Stopwatch.GetTimestamp();
        await operation(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(begin);
        Console.WriteLine($"{label,-40} {elapsed.TotalMilliseconds,10:F1} ms");
        return elapsed;
    }
}

/// <summary>
/// Two series measured in interleaved pairs (the same work with and without something), so that load from
/// elsewhere on the machine hits both alike; goals are on the distribution of the paired differences.
/// </summary>
internal sealed class PairedSeries
{
    private readonly LongHistogram _first = new(TimeSpan.TicksPerMinute, 3);
    private readonly LongHistogram _second = new(TimeSpan.TicksPerMinute, 3);
    private readonly List<long> _differences = [];
    private long _firstTotal;
    private long _secondTotal;
    private bool _sorted;

    /// <summary>One pair, in ticks; the difference is <paramref name="first"/> − <paramref name="second"/>.</summary>
    public void Record(long first, long second)
    {
        _first.RecordValue(first);
        _second.RecordValue(second);
        _differences.Add(first - second);
        _firstTotal += first;
        _secondTotal += second;
        _sorted = false;
    }

    public Measurement First(string label) => new(label, _first.TotalCount, TimeSpan.FromTicks(_firstTotal), _first);

    public Measurement Second(string label) => new(label, _second.TotalCount, TimeSpan.FromTicks(_secondTotal), _second);

    /// <summary>The <paramref name="p"/>th percentile of the paired differences, in milliseconds.</summary>
    public double Difference(double p)
    {
        if (!_sorted)
        {
            _differences.Sort();
            _sorted = true;
        }

        return _differences[Math.Min(_differences.Count - 1, (int)Math.Ceiling(p / 100 * _differences.Count) - 1)] / (double)TimeSpan.TicksPerMillisecond;
    }
}
