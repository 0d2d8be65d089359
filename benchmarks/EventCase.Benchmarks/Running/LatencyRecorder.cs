using System.Diagnostics;

namespace EventCase.Benchmarks.Running;

/// <summary>Times operations one by one (thread safe) and the whole run.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<double> _latencies = [];
    private readonly Lock _gate = new();

    public async Task<T> TimeAsync<T>(Func<Task<T>> operation)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await operation();
        Record(Stopwatch.GetElapsedTime(started));
        return result;
    }

    public async Task TimeAsync(Func<Task> operation)
    {
        var started = Stopwatch.GetTimestamp();
        await operation();
        Record(Stopwatch.GetElapsedTime(started));
    }

    public void Record(TimeSpan elapsed)
    {
        lock (_gate)
        {
            _latencies.Add(elapsed.TotalMilliseconds);
        }
    }

    public IReadOnlyList<double> Latencies
    {
        get
        {
            lock (_gate)
            {
                return _latencies.ToArray();
            }
        }
    }
}
