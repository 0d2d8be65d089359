using System.Globalization;

namespace EventCase.EventStore.Projections;

/// <summary>
/// Settings of the projection daemon. Checked when a <see cref="ProjectionDaemon"/> is created (see
/// <see cref="FindProblems"/>): a value outside its range would otherwise make the daemon retry an impossible read or
/// delay forever, or leave a projection stuck in a rebuild.
/// </summary>
public sealed class ProjectionDaemonOptions
{
    /// <summary>The longest <see cref="NodeId"/>.</summary>
    public const int MaxNodeIdLength = 200;

    /// <summary>The largest <see cref="BatchSize"/>: a live batch is one transaction, and its rows are held in memory.</summary>
    public const int MaxBatchSize = 100_000;

    /// <summary>The largest <see cref="RebuildBatchSize"/>: a rebuild read is materialized in memory, and read ahead.</summary>
    public const int MaxRebuildBatchSize = 1_000_000;

    /// <summary>
    /// The longest of the intervals, windows and timeouts: a day, far beyond any useful setting and well inside what
    /// <see cref="Task.Delay(TimeSpan)"/> accepts (about 49 days).
    /// </summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(1);

    /// <summary>This node's name in status reports (1 to <see cref="MaxNodeIdLength"/> characters, not blank). Default: machine name and process id.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Events per live batch (one transaction each), 1 to <see cref="MaxBatchSize"/>. Default 1,000.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>
    /// Events per read while rebuilding (folded in memory), 1 to <see cref="MaxRebuildBatchSize"/>. Default 4,000: W4 measured ~10 % faster rebuilds than with
    /// 20,000, presumably because smaller batches die young instead of surviving into older GC generations.
    /// </summary>
    public int RebuildBatchSize { get; set; } = 4_000;

    /// <summary>How often a caught-up projection looks at the log when no NOTIFY arrives (more than zero, at most <see cref="MaxInterval"/>). Default 2 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The least time between the starts of two live steps of one async projection once it has caught up. Under a
    /// steady stream of appends this gathers the events of that window into one batch (one transaction, a handful of
    /// statements) instead of a step per notification; an async projection lags by up to this much more. Zero or more,
    /// at most <see cref="MaxInterval"/>. Default 20 ms.
    /// </summary>
    public TimeSpan MinimumStepInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How often a node that does not own a projection tries to take it over (more than zero, at most <see cref="MaxInterval"/>). Default 2 s.</summary>
    public TimeSpan OwnershipRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a projection's owner may be silent before a node that wants the projection ends the owner's session and
    /// takes over: its heartbeat older than this, and its owning connection waiting on its client (idle, or sending it
    /// results) for as long. A node that is frozen (stopped, a suspended VM) or cut off from the network keeps its
    /// connections, and with them its locks, until PostgreSQL notices (TCP keepalives, two hours by default); ending its
    /// session frees them, and the frozen node, when it resumes, finds its connection gone and writes nothing. An owner
    /// whose statement is running, or that reported within this time, is never ended. Null never ends one. More than
    /// zero, at most <see cref="MaxInterval"/>; at least three <see cref="PollInterval"/>s are allowed whatever it says
    /// (an owner reports once a poll interval). Default 60 s.
    /// </summary>
    public TimeSpan? TakeOverFromSilentOwnerAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the first projection found needing a rebuild waits for others of this daemon that need one too (at
    /// first start, after a version bump, after rebuilds requested together), so that they are rebuilt in one pass over
    /// the log: each event read and deserialized once for all of them. Zero still gathers those already waiting. Zero
    /// or more, at most <see cref="MaxInterval"/>. Default 250 ms.
    /// </summary>
    public TimeSpan RebuildGatherWindow { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long an inline projection's swap waits for the end of the log to become visible (more than zero, at most <see cref="MaxInterval"/>). Default 10 s.</summary>
    public TimeSpan InlineSwapVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Every setting outside its range, each as a sentence naming the setting, its value and what it must be; empty when
    /// all are usable. The daemon refuses options with problems; a host can report them before it starts.
    /// </summary>
    public IReadOnlyList<string> FindProblems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(NodeId))
        {
            problems.Add("NodeId is blank: it names this node in status reports; leave the default (machine name and process id) or give a name.");
        }
        else if (NodeId.Length > MaxNodeIdLength)
        {
            problems.Add(Invariant($"NodeId is {NodeId.Length} characters long: it must be at most {MaxNodeIdLength}."));
        }

        CheckSize(problems, nameof(BatchSize), BatchSize, MaxBatchSize);
        CheckSize(problems, nameof(RebuildBatchSize), RebuildBatchSize, MaxRebuildBatchSize);
        CheckInterval(problems, nameof(PollInterval), PollInterval, zeroAllowed: false, "a caught-up projection would poll without pause");
        CheckInterval(problems, nameof(MinimumStepInterval), MinimumStepInterval, zeroAllowed: true, null);
        CheckInterval(problems, nameof(OwnershipRetryInterval), OwnershipRetryInterval, zeroAllowed: false, "a node would try to take projections it does not own without pause");
        if (TakeOverFromSilentOwnerAfter is { } silent)
        {
            CheckInterval(problems, nameof(TakeOverFromSilentOwnerAfter), silent, zeroAllowed: false, "a node would end the session of an owner between two of its statements");
        }

        CheckInterval(problems, nameof(RebuildGatherWindow), RebuildGatherWindow, zeroAllowed: true, null);
        CheckInterval(problems, nameof(InlineSwapVisibilityTimeout), InlineSwapVisibilityTimeout, zeroAllowed: false, "an inline projection's swap would give up at once");
        return problems;
    }

    /// <summary>Throws when <see cref="FindProblems"/> finds any, naming every one.</summary>
    internal void ThrowIfInvalid(string parameterName)
    {
        var problems = FindProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("The projection daemon's options are not usable: " + string.Join(" ", problems), parameterName);
        }
    }

    private static void CheckSize(List<string> problems, string name, int value, int max)
    {
        if (value < 1 || value > max)
        {
            problems.Add(Invariant($"{name} is {value}: it must be between 1 and {max:N0}."));
        }
    }

    private static void CheckInterval(List<string> problems, string name, TimeSpan value, bool zeroAllowed, string? whyNotZero)
    {
        if (value < TimeSpan.Zero || (!zeroAllowed && value == TimeSpan.Zero))
        {
            problems.Add(zeroAllowed
                ? Invariant($"{name} is {value}: it must be zero or more (and at most {MaxInterval}).")
                : Invariant($"{name} is {value}: it must be more than zero ({whyNotZero} otherwise) and at most {MaxInterval}."));
        }
        else if (value > MaxInterval)
        {
            problems.Add(Invariant($"{name} is {value}: it must be at most {MaxInterval}."));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Test hook: runs on the worker's connection inside a live batch's transaction just before it commits.</summary>
    internal Func<string, LogBatch, Npgsql.NpgsqlConnection, CancellationToken, Task>? BeforeCommit { get; set; }
}
