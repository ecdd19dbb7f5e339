using System.Globalization;
using System.Runtime.InteropServices;

namespace Mnemora.Benchmarks;

/// <summary>
/// The run's goals (pass/fail lines) and headline figures; at the end of a run they replace the
/// results table in <c>benchmarks/Mnemora.Benchmarks/README.md</c> for the series that ran (others keep their last row).
/// </summary>
internal static class BenchmarkResults
{
    private const string Begin = "<!-- results:begin (written by the benchmark run) -->";
    private const string End = "<!-- results:end -->";
    private static readonly List<(string Series, string Line)> s_lines = [];

    /// <summary>Prints and records a goal as a pass/fail line.</summary>
    public static bool Goal(string series, string goal, bool met, string figures)
    {
        var line = $"{(met ? "PASS" : "FAIL")} {goal} ({figures})";
        Console.WriteLine($"RESULT {series}: {line}");
        lock (s_lines)
        {
            s_lines.Add((series, line));
        }

        return met;
    }

    /// <summary>Records a figure shown in the table without a goal.</summary>
    public static void Figure(string series, string figure)
    {
        lock (s_lines)
        {
            s_lines.Add((series, figure));
        }
    }

    /// <summary>Rewrites the table rows of the series that ran; a README without the markers is left alone.</summary>
    public static void WriteReadme(IReadOnlyList<string> args)
    {
        if (s_lines.Count == 0 || FindReadme() is not { } path)
        {
            return;
        }

        var text = File.ReadAllText(path);
        var begin = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            return;
        }

        var ran = s_lines.Select(l => l.Series).ToHashSet(StringComparer.Ordinal);
        var kept = text[(begin + Begin.Length)..end].Split('\n')
            .Where(row => row.StartsWith("| 20", StringComparison.Ordinal) && !ran.Contains(row.Split('|')[4].Trim()))
            .ToList();
        var date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version} (shared, noisy)";
        var command = "`dotnet run -c Release --project benchmarks/Mnemora.Benchmarks --" + (args.Count == 0 ? "" : " " + string.Join(' ', args)) + "`";
        var rows = s_lines.GroupBy(l => l.Series, StringComparer.Ordinal)
            .Select(g => $"| {date} | {machine} | {command} | {g.Key} | {string.Join("<br>", g.Select(l => l.Line.Replace("|", "/", StringComparison.Ordinal)))} |");
        var table = string.Join('\n', ["", "| Date | Machine | Command | Series | Figures |", "|---|---|---|---|---|", .. kept, .. rows, ""]);
        File.WriteAllText(path, text[..(begin + Begin.Length)] + table + text[end..]);
        Console.WriteLine($"Results table updated: {path}");
    }

    private static string? FindReadme()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "benchmarks", "Mnemora.Benchmarks", "README.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
