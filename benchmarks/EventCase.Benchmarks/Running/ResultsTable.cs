using System.Globalization;

namespace EventCase.Benchmarks.Running;

/// <summary>Prints results as a Markdown table, ready to paste into benchmarks/RESULTS.md.</summary>
internal static class ResultsTable
{
    public static void Print(IReadOnlyList<WorkloadResult> results, TextWriter output)
    {
        output.WriteLine("| workload | operations | wall | rate | p50 ms | p99 ms | max ms | baseline rate | ratio | note |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var result in results)
        {
            var ours = result.Ours;
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {result.Name} | {ours.Operations:N0} | {ours.Wall.TotalSeconds:F2} s | {ours.Rate:N0} {ours.Unit} | {Ms(ours.Percentile(50))} | {Ms(ours.Percentile(99))} | {Ms(ours.Percentile(100))} | {(result.Baseline is { } b ? b.Rate.ToString("N0", CultureInfo.InvariantCulture) + " " + b.Unit : "–")} | {(result.Ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : "–")} | {result.Note} |"));
        }
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";
}
