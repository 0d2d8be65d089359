namespace EventCase.EventStore.Projections;

/// <summary>Settings of the projection daemon.</summary>
public sealed class ProjectionDaemonOptions
{
    /// <summary>This node's name in status reports. Default: machine name and process id.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Events per live batch (one transaction each). Default 1,000.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>
    /// Events per read while rebuilding (folded in memory). Default 4,000: W4 measured ~10 % faster rebuilds than with
    /// 20,000, presumably because smaller batches die young instead of surviving into older GC generations.
    /// </summary>
    public int RebuildBatchSize { get; set; } = 4_000;

    /// <summary>How often a caught-up projection looks at the log when no NOTIFY arrives. Default 2 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The least time between the starts of two live steps of one async projection once it has caught up. Under a
    /// steady stream of appends this gathers the events of that window into one batch (one transaction, a handful of
    /// statements) instead of a step per notification; an async projection lags by up to this much more. Default 20 ms.
    /// </summary>
    public TimeSpan MinimumStepInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often a node that does not own a projection tries to take it over. Default 2 s.</summary>
    public TimeSpan OwnershipRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long the first projection found needing a rebuild waits for others of this daemon that need one too (at
    /// first start, after a version bump, after rebuilds requested together), so that they are rebuilt in one pass over
    /// the log: each event read and deserialized once for all of them. Zero still gathers those already waiting.
    /// Default 250 ms.
    /// </summary>
    public TimeSpan RebuildGatherWindow { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an inline projection's swap waits for the end of the log to become visible. Default 10 s.</summary>
    public TimeSpan InlineSwapVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Test hook: runs on the worker's connection inside a live batch's transaction just before it commits.</summary>
    internal Func<string, LogBatch, Npgsql.NpgsqlConnection, CancellationToken, Task>? BeforeCommit { get; set; }
}
