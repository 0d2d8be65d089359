using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace EventCase.EventStore.Projections;

/// <summary>
/// Runs the store's projections: a hosted service usable from any .NET host. Every node may run it; each projection
/// is owned by one node at a time through a PostgreSQL session advisory lock held on the connection that does its
/// work, so when a node dies its connection closes, its locks go, and another node takes over within
/// <see cref="ProjectionDaemonOptions.OwnershipRetryInterval"/>. Projections that need a rebuild at the same time are
/// rebuilt in one pass over the log (see <see cref="ProjectionDaemonOptions.RebuildGatherWindow"/>). Connections per
/// node: one per owned projection, one more per rebuild pass (to read ahead), plus one that listens for NOTIFY.
/// </summary>
public sealed class ProjectionDaemon : BackgroundService
{
    private readonly PostgresEventStore _store;
    private readonly ProjectionDaemonOptions _options;
    private readonly ILogger _logger;
    // Appends wake the async projections; control requests (rebuild, resume) wake every agent. Inline projections'
    // agents only rebuild and report, so appends — thousands a second — do not wake them.
    private readonly AppendSignal _signal = new();
    private readonly AppendSignal _control = new();
    private readonly RebuildGathering _rebuilds;

    /// <summary>Creates the daemon for every projection registered with <paramref name="store"/>.</summary>
    /// <param name="store">The store whose projections it runs.</param>
    /// <param name="options">Its settings; null for the defaults.</param>
    /// <param name="logger">Where it reports ownership, rebuilds and failures.</param>
    /// <exception cref="ArgumentException">A setting is out of range (see <see cref="ProjectionDaemonOptions.FindProblems"/>); the message names every one.</exception>
    public ProjectionDaemon(PostgresEventStore store, ProjectionDaemonOptions? options = null, ILogger<ProjectionDaemon>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new ProjectionDaemonOptions();
        // Checked here, not where they are used: out of range, they do not fail once but on every retry, for ever.
        _options.ThrowIfInvalid(nameof(options));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _rebuilds = new RebuildGathering(_options.RebuildGatherWindow, _logger);
    }

    /// <summary>The daemon's settings.</summary>
    public ProjectionDaemonOptions Options => _options;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        WarnIfThePoolIsTooSmall();
        var agents = _store.Projections.Runners
            .Select(runner => RunAgentAsync(new ProjectionWorker(_store, runner, _options), stoppingToken))
            .ToList();
        agents.Add(ListenAsync(stoppingToken));
        await Task.WhenAll(agents);
    }

    /// <summary>
    /// The connections the daemon may hold from the store's pool on a node that owns every projection: one per
    /// projection for as long as it owns it, one that listens for NOTIFY, and while it rebuilds, one that reads ahead
    /// and one per lane the read models are finished in side by side (at least two, else one per core).
    /// </summary>
    internal static (int Held, int WhileRebuilding) ConnectionsNeeded(int projections) =>
        (projections + 1, 1 + Math.Max(2, Environment.ProcessorCount));

    /// <summary>
    /// Says at start when the pool the daemon shares with everything else on the node (Npgsql's Maximum Pool Size) is
    /// smaller than it needs: with a pool of 7 and the six built-in projections, the service started without a word and
    /// then answered every request 503 once Npgsql's timeout had passed, waiting for a connection the daemon held.
    /// A warning, not a refusal: another node may own some of the projections, and the pool is the host's to size.
    /// </summary>
    private void WarnIfThePoolIsTooSmall()
    {
        var pool = new NpgsqlConnectionStringBuilder(_store.DataSource.ConnectionString).MaxPoolSize;
        var (held, whileRebuilding) = ConnectionsNeeded(_store.Projections.Runners.Count);
        if (pool < held + whileRebuilding)
        {
            _logger.LogWarning(
                "The connection pool (Maximum Pool Size={Pool}) is too small for the projection daemon: on a node that owns its {Projections} projection(s) it holds {Held} connections while it runs and up to {WhileRebuilding} more while it rebuilds, leaving too few for requests, which then wait for a connection and fail with 503. Give it at least {Floor} plus the requests served at once (docs/operating.md, Connections).",
                pool, _store.Projections.Runners.Count, held, whileRebuilding, held + whileRebuilding);
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
                var controlChannel = _store.Projections.ControlChannel;
                connection.Notification += (_, e) =>
                {
                    _signal.Pulse();
                    if (string.Equals(e.Channel, controlChannel, StringComparison.Ordinal))
                    {
                        _control.Pulse();
                    }
                };
                await using (var listen = new NpgsqlCommand(
                    $"LISTEN {_store.Options.NotificationChannel}; LISTEN {_store.Projections.ControlChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                _signal.Pulse();
                _control.Pulse();
                while (!cancellationToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // Polling covers the gap until the listener is back.
                _logger.LogWarning(e, "Projection daemon lost its NOTIFY connection; reconnecting.");
                await DelayAsync(_options.OwnershipRetryInterval, cancellationToken);
            }
        }
    }

    private async Task RunAgentAsync(ProjectionWorker worker, CancellationToken cancellationToken)
    {
        var name = worker.Runner.Projection.Name;
        var lockKey = ProjectionOwnership.LockKey(_store.Options.Schema, name);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
                if (!await ProjectionOwnership.TryTakeAsync(connection, lockKey, cancellationToken))
                {
                    // An owner reports once a poll interval: however short the setting, three of them are allowed.
                    if (_options.TakeOverFromSilentOwnerAfter is { } setting
                        && TimeSpan.FromTicks(Math.Max(setting.Ticks, 3 * _options.PollInterval.Ticks)) is var silence
                        && await ProjectionOwnership.EndSilentOwnerAsync(connection, lockKey, _store.Options.Schema, name, silence, cancellationToken) is { } ended)
                    {
                        _logger.LogWarning(
                            "Node {Node} ended the session (pid {Pid}) of projection {Projection}'s owner {Owner}, silent for over {Silence}; it takes the projection over.",
                            _options.NodeId, ended.Pid, name, ended.Owner, silence);
                    }

                    await connection.CloseAsync();
                    await DelayAsync(_options.OwnershipRetryInterval, cancellationToken);
                    continue;
                }

                _logger.LogInformation("Node {Node} owns projection {Projection}.", _options.NodeId, name);
                try
                {
                    await RunOwnedAsync(worker, connection, lockKey, cancellationToken);
                }
                finally
                {
                    // A pooled connection keeps session locks until it is reused: release ownership explicitly so
                    // another node can take over at once. If the connection is broken the server has released it.
                    await ProjectionOwnership.ReleaseAsync(connection, lockKey, _logger);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A lost connection, a timeout, a transient error: the lock went with the connection; try again.
                _logger.LogWarning(e, "Projection {Projection} stopped on node {Node}; retrying.", name, _options.NodeId);
                await DelayAsync(_options.OwnershipRetryInterval, cancellationToken);
            }
        }
    }

    private async Task RunOwnedAsync(ProjectionWorker worker, NpgsqlConnection connection, long lockKey, CancellationToken cancellationToken)
    {
        var projection = worker.Runner.Projection;
        var lastHeartbeat = 0L;
        var lastStep = 0L;
        var caughtUp = false;
        async Task HeartbeatDueAsync()
        {
            // The heartbeat is for status reports (ownership itself is the session lock): every poll interval is
            // plenty, and it would otherwise be a write per wake-up, hundreds a second under load.
            if (lastHeartbeat == 0 || Stopwatch.GetElapsedTime(lastHeartbeat) >= _options.PollInterval)
            {
                await HeartbeatAsync(connection, projection.Name, cancellationToken);
                lastHeartbeat = Stopwatch.GetTimestamp();
            }
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var record = await worker.ReadRecordAsync(connection, cancellationToken);
            if (record.State == ProjectionStates.Failed)
            {
                await HeartbeatDueAsync();
                await _control.WaitAsync(_options.PollInterval, cancellationToken);
                continue;
            }

            if (worker.NeedsRebuild(record))
            {
                _logger.LogInformation("Rebuilding projection {Projection}.", projection.Name);

                // Projections due for a rebuild at the same time share one pass over the log. One that handed its
                // ownership to the agent leading the pass takes ownership again afterwards.
                if (!await _rebuilds.RebuildAsync(worker, connection, lockKey, cancellationToken))
                {
                    return;
                }

                continue;
            }

            if (projection.Mode == ProjectionMode.Inline)
            {
                // Appenders keep inline tables current; the owner only rebuilds them.
                await HeartbeatDueAsync();
                await _control.WaitAsync(_options.PollInterval, cancellationToken);
                continue;
            }

            if (caughtUp && Stopwatch.GetElapsedTime(lastStep) is var sinceLastStep && sinceLastStep < _options.MinimumStepInterval)
            {
                // Woken right after catching up: let the window's appends gather into one batch.
                await DelayAsync(_options.MinimumStepInterval - sinceLastStep, cancellationToken);
            }

            lastStep = Stopwatch.GetTimestamp();
            int rows;
            try
            {
                rows = await ProjectionOwnership.ReportWhileAsync([worker], () => worker.StepAsync(connection, record.Checkpoint, cancellationToken), cancellationToken);
            }
            catch (ProjectionFailedException failure)
            {
                _logger.LogError(failure, "Projection {Projection} failed; it stops until resumed.", projection.Name);
                await worker.RecordFailureAsync(connection, failure, cancellationToken);
                continue;
            }

            if (rows > 0)
            {
                // The step's checkpoint update carried a heartbeat.
                lastHeartbeat = Stopwatch.GetTimestamp();
            }

            caughtUp = rows < _options.BatchSize;
            if (caughtUp)
            {
                await HeartbeatDueAsync();
                await _signal.WaitAsync(_options.PollInterval, cancellationToken);
            }
        }
    }

    private async Task HeartbeatAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        // One implicit transaction; a status report needs no WAL flush, so it commits asynchronously.
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(AsynchronousCommit.BatchCommand());
        var update = new NpgsqlBatchCommand($"UPDATE {_store.Options.Schema}.projections SET owner = $2, owner_heartbeat_at = now() WHERE name = $1");
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.NodeId });
        batch.BatchCommands.Add(update);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
