namespace EventCase.Benchmarks.Running;

/// <summary>One measured side of a workload: how many operations, how long, and the latency of each.</summary>
internal sealed record Measurement(string What, long Operations, TimeSpan Wall, IReadOnlyList<double>? LatenciesMs, string Unit)
{
    public double Rate => Operations / Wall.TotalSeconds;

    public double? Percentile(double p)
    {
        if (LatenciesMs is null || LatenciesMs.Count == 0)
        {
            return null;
        }

        var sorted = LatenciesMs.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>A workload's outcome: ours, the baseline measured in the same run, and notes worth printing.</summary>
internal sealed record WorkloadResult(string Name, Measurement Ours, Measurement? Baseline, string? Note = null)
{
    public double? Ratio => Baseline is null ? null : Ours.Rate / Baseline.Rate;
}
