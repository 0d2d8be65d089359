using System.Diagnostics;

namespace EventCase.Cli.Tests;

/// <summary>
/// Counts, from Npgsql's own tracing, the statements that read events with their hashes (the chain check's read) run
/// by the code under test from where this was created (its trace: other tests running meanwhile are not counted).
/// </summary>
internal sealed class EventReads : IDisposable
{
    private const string SourceName = "EventCase.Cli.Tests.EventReads";

    private static readonly ActivitySource Source = new(SourceName);

    private readonly ActivityListener _listener;
    private readonly Activity? _root;
    private int _statements;

    public EventReads()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Count,
        };
        ActivitySource.AddActivityListener(_listener);
        _root = Source.StartActivity("under test");
        if (_root is null)
        {
            _listener.Dispose();
            throw new InvalidOperationException("the test's activity was not sampled");
        }
    }

    /// <summary>Statements that read event rows with their hashes.</summary>
    public int Statements => Volatile.Read(ref _statements);

    public void Dispose()
    {
        _root?.Dispose();
        _listener.Dispose();
    }

    private void Count(Activity activity)
    {
        // Npgsql's activities of every test stop here while this listens, some before the root is there.
        if (activity.Source.Name != "Npgsql" || _root is not { } root || activity.TraceId != root.TraceId
            || activity.GetTagItem("db.query.text") is not string query
            || !query.Contains("data::text, metadata::text, hash FROM", StringComparison.Ordinal))
        {
            return;
        }

        Interlocked.Increment(ref _statements);
    }
}
