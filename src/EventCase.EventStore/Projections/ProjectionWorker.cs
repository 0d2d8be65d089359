using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.EventStore.Projections;

/// <summary>
/// Does a projection's work on one connection: catching up from its checkpoint, rebuilding into shadow tables, and
/// recording failures. Whoever drives it (a daemon agent holding the projection's ownership lock, or a test) must
/// be the only one driving that projection.
/// </summary>
internal sealed class ProjectionWorker(PostgresEventStore store, ProjectionRunner runner, ProjectionDaemonOptions options)
{
    internal const string ShadowSuffix = "__rebuild";

    // The last failure recorded, for a caller that drives the worker outside the daemon (the tester): a rebuild records
    // a projection's failure and goes on with the others, so the caller would not otherwise see it.
    private ProjectionFailedException? _recordedFailure;

    private string Schema => store.Options.Schema;

    private Projection Projection => runner.Projection;

    public ProjectionRunner Runner => runner;

    public PostgresEventStore Store => store;

    public ProjectionDaemonOptions Options => options;

    /// <summary>The projection's row, or null when it was never registered.</summary>
    public async Task<ProjectionRecord> ReadRecordAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT version, checkpoint_xid, checkpoint_position, state, built, rebuild_requested_at IS NOT NULL FROM {Schema}.projections WHERE name = $1",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Projection.Name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"Projection '{Projection.Name}' is not registered; run the store's MigrateAsync first.");
        }

        return new ProjectionRecord(
            reader.GetInt32(0),
            new LogPosition(reader.GetFieldValue<ulong>(1), reader.GetInt64(2)),
            reader.GetString(3),
            reader.GetBoolean(4),
            reader.GetBoolean(5));
    }

    /// <summary>
    /// What the worker should do next, judged from the projection's row: rebuild when it was never built, its version
    /// changed, a rebuild was requested, or a rebuild was started and never finished. Only the projection's owner
    /// reads this, and a rebuild runs under that ownership: an owner that finds the state "rebuilding" is looking at a
    /// rebuild whose process died or lost its connection (its request was taken when it started), so it starts again.
    /// </summary>
    public bool NeedsRebuild(ProjectionRecord record) =>
        record.State != ProjectionStates.Failed
        && (!record.Built || record.Version != Projection.Version || record.RebuildRequested || record.State == ProjectionStates.Rebuilding);

    /// <summary>
    /// Applies the next batch after the checkpoint to the live tables, and moves the checkpoint, in one transaction:
    /// each event takes effect exactly once even if the process dies mid-batch.
    /// </summary>
    /// <returns>How many log rows the step covered (0 when caught up).</returns>
    public async Task<int> StepAsync(NpgsqlConnection connection, LogPosition checkpoint, CancellationToken cancellationToken)
    {
        var batch = await store.ReadLogAsync(connection, checkpoint, options.BatchSize, runner.Handles, Projection.ReadsMetadata, cancellationToken);
        if (batch.RowsRead == 0)
        {
            return 0;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Before the rows are loaded: a stream rebuild (which holds this lock shared while it replaces a stream's rows)
        // has committed, or starts only after this commits, so no row this step writes was loaded before it.
        await runner.ApplyAsync(connection, transaction, Schema, string.Empty, batch.Events, cancellationToken, RowsLockCommand());
        await using (var update = new NpgsqlBatch(connection, transaction))
        {
            // The batch's rows and its checkpoint commit together, and the events they derive from are durable
            // already: a crash that loses this commit only makes the next owner apply the batch again. So it commits
            // asynchronously and does not queue behind appends for a WAL flush (decision 0008).
            update.BatchCommands.Add(AsynchronousCommit.BatchCommand());
            var checkpointUpdate = new NpgsqlBatchCommand(
                $"UPDATE {Schema}.projections SET checkpoint_xid = $2, checkpoint_position = $3, owner = $4, owner_heartbeat_at = now(), updated_at = now() WHERE name = $1");
            checkpointUpdate.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Projection.Name });
            checkpointUpdate.Parameters.Add(new NpgsqlParameter<ulong> { TypedValue = batch.Checkpoint.TransactionId, NpgsqlDbType = NpgsqlDbType.Xid8 });
            checkpointUpdate.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.Checkpoint.Position });
            checkpointUpdate.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.NodeId });
            update.BatchCommands.Add(checkpointUpdate);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        if (options.BeforeCommit is { } beforeCommit)
        {
            await beforeCommit(Projection.Name, batch, connection, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return batch.RowsRead;
    }

    /// <summary>
    /// Rebuilds the projection from position 0 into shadow tables while the live tables keep serving (and, for an
    /// async projection, keep being updated between rebuild chunks), then swaps them in atomically.
    /// </summary>
    public Task RebuildAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        RebuildTogetherAsync([this], connection, cancellationToken);

    /// <summary>
    /// Rebuilds several projections of one store in a single pass over the log: each event is read and deserialized
    /// once and folded into every projection that handles it. Each projection keeps the guarantees of a rebuild of its
    /// own: its shadow tables, progress, live catch-up between chunks, its own catch-up of what was appended meanwhile
    /// and its own atomic swap. A projection whose code throws is recorded as failed and dropped from the pass; the
    /// others go on. The caller must own every one of them (hold their ownership locks, or be a test).
    /// </summary>
    public static async Task RebuildTogetherAsync(IReadOnlyList<ProjectionWorker> workers, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        if (workers.Count == 0)
        {
            return;
        }

        var lead = workers[0];
        if (workers.Any(w => !ReferenceEquals(w.Store, lead.Store)) || workers.Select(w => w.Projection.Name).Distinct(StringComparer.Ordinal).Count() != workers.Count)
        {
            throw new ArgumentException("Projections rebuilt together must be distinct projections of one store.", nameof(workers));
        }

        var store = lead.Store;
        var options = lead.Options;
        // The head of the log, for progress: one scan of the log's key for the pass, not one per projection.
        long target;
        await using (var head = new NpgsqlCommand($"SELECT coalesce(max(position), 0) FROM {lead.Schema}.events", connection))
        {
            target = (long)(await head.ExecuteScalarAsync(cancellationToken))!;
        }

        var builds = new List<ShadowBuild>(workers.Count);
        foreach (var worker in workers)
        {
            builds.Add(await worker.BeginShadowAsync(connection, target, cancellationToken));
        }

        // Without statistics right after a bulk load the planner can misjudge the log reads; fresh statistics keep
        // every batch an index range scan.
        await ExecuteAsync(connection, $"ANALYZE {lead.Schema}.events", cancellationToken);

        var checkpoint = LogPosition.Start;
        long events = 0;
        var started = Stopwatch.GetTimestamp();
        var lastProgress = started;

        // One projection reads only the types it handles; several read the union, and each folds what it handles.
        var active = builds;
        Func<string, bool> include = builds.Count == 1
            ? lead.Runner.Handles
            : storedType =>
            {
                foreach (var build in active)
                {
                    if (build.Worker.Runner.Handles(storedType))
                    {
                        return true;
                    }
                }

                return false;
            };

        // The metadata column is read only when a projection of the pass reads it.
        var withMetadata = builds.Exists(b => b.Worker.Runner.Projection.ReadsMetadata);

        // The next batch is read (on a second connection) while this one is deserialized and folded: the server works
        // on the next batch while the client works on this one.
        await using var reading = await store.DataSource.OpenConnectionAsync(cancellationToken);
        Task<PostgresEventStore.RawLogBatch>? next = store.ReadRawLogAsync(reading, checkpoint, options.RebuildBatchSize, include, withMetadata, cancellationToken);
        try
        {
            while (next is not null)
            {
                var arriving = next;
                next = null;
                var raw = await arriving;
                if (raw.RowsRead == options.RebuildBatchSize)
                {
                    next = store.ReadRawLogAsync(reading, raw.Checkpoint, options.RebuildBatchSize, include, withMetadata, cancellationToken);
                }

                var batch = store.Materialize(raw);
                FoldBatch(active, batch.Events, filter: builds.Count > 1);
                foreach (var failed in active.Where(b => b.Failure is not null).ToList())
                {
                    await failed.Worker.RecordFailureAsync(connection, failed.Failure!, cancellationToken);
                }

                active = active.Where(b => b.Failure is null).ToList();
                if (active.Count == 0)
                {
                    return;
                }

                checkpoint = batch.Checkpoint;
                events += batch.RowsRead;
                foreach (var build in active.Where(b => b.Fold.PendingEntries > 100_000).ToList())
                {
                    try
                    {
                        await build.Fold.FlushEntriesAsync(connection, lead.Schema, ShadowSuffix, cancellationToken);
                    }
                    catch (ProjectionFailedException failure)
                    {
                        await build.Worker.RecordFailureAsync(connection, failure, cancellationToken);
                        active = active.Where(b => b != build).ToList();
                    }
                }

                if (active.Count == 0)
                {
                    return;
                }

                if (Stopwatch.GetElapsedTime(lastProgress) > TimeSpan.FromSeconds(1))
                {
                    lastProgress = Stopwatch.GetTimestamp();
                    foreach (var build in active.ToList())
                    {
                        await build.Worker.ReportProgressAsync(connection, checkpoint, events, started, cancellationToken);
                        if (build.KeepLiveMoving && !await build.StepLiveAsync(connection, cancellationToken))
                        {
                            active = active.Where(b => b != build).ToList();
                        }
                    }

                    if (active.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            // Whatever ends the pass early (every projection failed or went elsewhere, an event that does not
            // deserialize, a lost connection), the read in flight must finish before its connection is returned: a
            // connection given back mid-read hung the rebuild for good.
            if (next is not null)
            {
                await SettleAsync(next);
            }
        }

        await FinishSideBySideAsync(active, connection, checkpoint, events, started, cancellationToken);
    }

    /// <summary>
    /// Finishes the projections of a pass (COPY of the rows, indexes, ANALYZE, catch-up, swap). Each finish is
    /// independent of the others'; one after the other, they keep a core idle most of the time (an index build, an
    /// ANALYZE), so they run side by side in lanes, one connection each, the first lane on the caller's connection.
    /// A projection's tables are only written by the connection holding its ownership lock (decision 0009): the lock
    /// of a projection finished in another lane moves to that lane's connection first and back afterwards. One that
    /// another node takes in between is that node's to rebuild (its state still says so) and is left out.
    /// </summary>
    private static async Task FinishSideBySideAsync(
        List<ShadowBuild> active, NpgsqlConnection connection, LogPosition checkpoint, long events, long started, CancellationToken cancellationToken)
    {
        var lanes = Math.Min(active.Count, Math.Max(2, Environment.ProcessorCount));
        var laneConnections = new NpgsqlConnection?[lanes];
        var moved = new List<(int Index, long LockKey, bool CallerHeld)>();
        var finishing = active.ToArray<ShadowBuild?>();
        try
        {
            for (var lane = 1; lane < lanes; lane++)
            {
                laneConnections[lane] = await active[0].Worker.Store.DataSource.OpenConnectionAsync(cancellationToken);
            }

            for (var i = 0; i < active.Count; i++)
            {
                if (i % lanes == 0)
                {
                    continue;
                }

                var lockKey = ProjectionOwnership.LockKey(active[i].Worker.Schema, active[i].Worker.Projection.Name);
                // Not held when the caller owns nothing (a test's rebuild): then it is not given back either.
                var callerHeld = await ProjectionOwnership.UnlockAsync(connection, lockKey, cancellationToken);
                if (await ProjectionOwnership.TryTakeAsync(laneConnections[i % lanes]!, lockKey, cancellationToken))
                {
                    moved.Add((i, lockKey, callerHeld));
                }
                else
                {
                    finishing[i] = null;
                }
            }

            // Task.Run: a lane runs synchronously until an await that waits, and a COPY writes many rows before one
            // does; started inline, the second lane would begin only once the first had written most of its rows.
            await Task.WhenAll(Enumerable.Range(0, lanes).Select(lane => Task.Run(
                async () =>
                {
                    for (var i = lane; i < finishing.Length; i += lanes)
                    {
                        if (finishing[i] is { } build)
                        {
                            await build.Worker.FinishShadowAsync(laneConnections[lane] ?? connection, build.Fold, checkpoint, events, started, cancellationToken);
                        }
                    }
                },
                cancellationToken)));
        }
        finally
        {
            foreach (var (index, lockKey, callerHeld) in moved)
            {
                await GiveBackAsync(laneConnections[index % lanes]!, connection, lockKey, callerHeld);
            }

            foreach (var laneConnection in laneConnections)
            {
                if (laneConnection is not null)
                {
                    await laneConnection.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Moves an ownership lock from a lane's connection back to the caller's, when the caller held it.</summary>
    private static async Task GiveBackAsync(NpgsqlConnection lane, NpgsqlConnection caller, long lockKey, bool callerHeld)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await ProjectionOwnership.UnlockAsync(lane, lockKey, timeout.Token);
            if (callerHeld)
            {
                // If another node took it in between, it is that node's now: the caller's agent finds out when it next
                // takes ownership, as after any rebuild pass.
                await ProjectionOwnership.TryTakeAsync(caller, lockKey, timeout.Token);
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // A broken connection has released its locks already; the pass's own failure, if any, is what is reported.
        }
    }

    /// <summary>Waits for a read whose result no longer matters, whatever its outcome.</summary>
    private static async Task SettleAsync(Task read)
    {
        try
        {
            await read;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // The failure being reported is the caller's.
        }
    }

    /// <summary>
    /// Folds a batch into every projection of the pass. Projections are independent (each has its own rows), so when
    /// there are several they fold side by side; each projection still sees its events one at a time, in log order.
    /// </summary>
    private static void FoldBatch(List<ShadowBuild> builds, IReadOnlyList<RecordedEvent> events, bool filter)
    {
        if (builds.Count == 1)
        {
            builds[0].Apply(events, filter);
            return;
        }

        Parallel.ForEach(builds, build => build.Apply(events, filter));
    }

    /// <summary>Marks the projection as rebuilding and creates its empty shadow tables (keys and indexes come after the load).</summary>
    private async Task<ShadowBuild> BeginShadowAsync(NpgsqlConnection connection, long targetPosition, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            connection,
            $"""
             UPDATE {Schema}.projections
                SET state = 'rebuilding', rebuild_started_at = now(), rebuild_requested_at = NULL, rebuild_position = 0, rebuild_events = 0,
                    rebuild_events_per_second = NULL, rebuild_target_position = $3,
                    owner = $2, owner_heartbeat_at = now(), updated_at = now()
              WHERE name = $1
             """,
            cancellationToken,
            Projection.Name,
            options.NodeId,
            targetPosition);
        foreach (var table in Projection.TableNames)
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Schema}.{table}{ShadowSuffix}", cancellationToken);
        }

        foreach (var sql in runner.CreateTablesSql(Schema, ShadowSuffix, withIndexes: false))
        {
            await ExecuteAsync(connection, sql, cancellationToken);
        }

        var before = await ReadRecordAsync(connection, cancellationToken);
        // The live tables keep moving during the rebuild only when they are this version's: a new version's code may
        // write columns (or rows) the old tables do not have, and the rebuild replaces them anyway.
        return new ShadowBuild(this, runner.BeginRebuild(), before.Checkpoint, Projection.Mode == ProjectionMode.Async && before.Built && before.Version == Projection.Version);
    }

    /// <summary>Writes the folded rows, indexes and analyzes the shadow, catches it up with what was appended meanwhile, and swaps.</summary>
    private async Task FinishShadowAsync(NpgsqlConnection connection, ProjectionRunner.RebuildFold fold, LogPosition checkpoint, long events, long started, CancellationToken cancellationToken)
    {
        try
        {
            await fold.WriteRowsAsync(connection, Schema, ShadowSuffix, cancellationToken);
        }
        catch (ProjectionFailedException failure)
        {
            // A row the projection's code cannot give values for, or that PostgreSQL refuses: rebuilding again would
            // fail the same way, so it stops here, recorded, with the live tables as they were.
            await RecordFailureAsync(connection, failure, cancellationToken);
            return;
        }

        foreach (var sql in runner.CreateIndexesSql(Schema, ShadowSuffix))
        {
            await ExecuteAsync(connection, sql, cancellationToken);
        }

        foreach (var table in Projection.TableNames)
        {
            await ExecuteAsync(connection, $"ANALYZE {Schema}.{table}{ShadowSuffix}", cancellationToken);
        }

        while (true)
        {
            // Catch the shadow up with what was appended while it was built. Writers keep appending meanwhile, possibly
            // faster than a catch-up applies: so this stops at the first batch that is not full (an inline projection
            // then finishes under its lock in the swap; an async one is continued by the live agent from the swapped
            // checkpoint).
            while (true)
            {
                var batch = await store.ReadLogAsync(connection, checkpoint, options.BatchSize, runner.Handles, Projection.ReadsMetadata, cancellationToken);
                if (batch.RowsRead == 0)
                {
                    break;
                }

                if (!await TryApplyToShadowAsync(connection, batch, cancellationToken))
                {
                    return;
                }

                checkpoint = batch.Checkpoint;
                events += batch.RowsRead;
                if (batch.RowsRead < options.BatchSize)
                {
                    break;
                }
            }

            if (Projection.Mode == ProjectionMode.Inline)
            {
                // The swap holds every append off while it waits for the end of the log to become visible: not while a
                // long write transaction is known to keep it invisible. Waiting here holds nobody off.
                await WaitForNoLongWriterAsync(connection, checkpoint, events, started, cancellationToken);
            }

            try
            {
                await SwapAsync(connection, checkpoint, events, started, cancellationToken);
                return;
            }
            catch (TimeoutException) when (Projection.Mode == ProjectionMode.Inline)
            {
                // A write transaction that began after the wait above kept the log's end invisible: the swap rolled back
                // and appends went on. The shadow is kept; it catches up again and the swap is tried once more, instead
                // of the whole rebuild starting again from the first event.
            }
        }
    }

    /// <summary>
    /// Waits, holding no lock, while the end of the log is invisible and a write transaction on the server has been open
    /// for a second or more (what keeps it invisible for long; one that is younger ends within the swap's wait), reporting
    /// progress meanwhile so that the projection's status shows a live owner (and, through <c>WaitingOn</c>, the
    /// transaction it waits for). A visible end of the log is not waited for, whatever runs: another projection's
    /// rebuild writing its shadow tables in the same pass, say.
    /// </summary>
    private async Task WaitForNoLongWriterAsync(NpgsqlConnection connection, LogPosition checkpoint, long events, long started, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
             SELECT NOT coalesce((SELECT max(transaction_id) FROM {Schema}.events) < pg_snapshot_xmin(pg_current_snapshot()), true)
                AND EXISTS (SELECT 1 FROM pg_stat_activity
                             WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND xact_start < now() - interval '1 second')
             """,
            connection);
        var lastReport = Stopwatch.GetTimestamp();
        while ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            if (Stopwatch.GetElapsedTime(lastReport) >= options.PollInterval)
            {
                await ReportProgressAsync(connection, checkpoint, events, started, cancellationToken);
                lastReport = Stopwatch.GetTimestamp();
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>One projection's part of a rebuild pass: its in-memory fold and, for an async projection that was built, its live checkpoint.</summary>
    private sealed class ShadowBuild(ProjectionWorker worker, ProjectionRunner.RebuildFold fold, LogPosition live, bool keepLiveMoving)
    {
        private LogPosition _live = live;

        public ProjectionWorker Worker { get; } = worker;

        public ProjectionRunner.RebuildFold Fold { get; } = fold;

        public bool KeepLiveMoving { get; } = keepLiveMoving;

        /// <summary>Where the projection's own code threw, if it did; the pass goes on without it.</summary>
        public ProjectionFailedException? Failure { get; private set; }

        /// <summary>Folds the events this projection handles (all of them when <paramref name="filter"/> is false: the read kept only those).</summary>
        public void Apply(IReadOnlyList<RecordedEvent> events, bool filter)
        {
            var runner = Worker.Runner;
            try
            {
                foreach (var recorded in events)
                {
                    if (!filter || runner.Handles(recorded.StoredEventType))
                    {
                        Fold.Apply(recorded);
                    }
                }
            }
            catch (ProjectionFailedException failure)
            {
                Failure = failure;
            }
        }

        /// <summary>The live tables keep serving, and keep up, while the rebuild runs. False when the projection failed.</summary>
        public async Task<bool> StepLiveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
        {
            try
            {
                if (await Worker.StepAsync(connection, _live, cancellationToken) > 0)
                {
                    _live = (await Worker.ReadRecordAsync(connection, cancellationToken)).Checkpoint;
                }

                return true;
            }
            catch (ProjectionFailedException failure)
            {
                await Worker.RecordFailureAsync(connection, failure, cancellationToken);
                return false;
            }
        }
    }

    private async Task<bool> TryApplyToShadowAsync(NpgsqlConnection connection, LogBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await runner.ApplyAsync(connection, null, Schema, ShadowSuffix, batch.Events, cancellationToken);
            return true;
        }
        catch (ProjectionFailedException failure)
        {
            await RecordFailureAsync(connection, failure, cancellationToken);
            return false;
        }
    }

    private async Task SwapAsync(NpgsqlConnection connection, LogPosition checkpoint, long events, long started, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (Projection.Mode == ProjectionMode.Async)
        {
            // A stream rebuild reads the checkpoint and writes the live tables under this lock, shared: it must see the
            // checkpoint and the tables of one side of the swap, never the old checkpoint and the new tables.
            await using var rowsLock = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction);
            rowsLock.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ProjectionOwnership.RowsLockKey(Schema, Projection.Name) });
            await rowsLock.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            // Inline appenders hold this lock shared from before their first write. Holding it exclusively means every
            // appender that wrote to the live tables has committed and no new one has written anything (so none holds
            // a transaction id back): once the log is visible to its end, the shadow can catch up completely.
            await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1)", cancellationToken, transaction, InlineLockKey(Schema));
            await WaitUntilLogFullyVisibleAsync(connection, transaction, cancellationToken);
        }

        // An inline projection must be complete when it goes live, and with every appender held off by the lock the
        // log has an end to reach. An async projection goes live at the checkpoint it reached: its agent carries on
        // from there, as it does after any batch, so a busy log cannot keep the swap from ever happening.
        while (Projection.Mode == ProjectionMode.Inline)
        {
            var batch = await store.ReadLogAsync(connection, checkpoint, options.BatchSize, runner.Handles, Projection.ReadsMetadata, cancellationToken);
            if (batch.RowsRead == 0)
            {
                break;
            }

            try
            {
                await runner.ApplyAsync(connection, transaction, Schema, ShadowSuffix, batch.Events, cancellationToken);
            }
            catch (ProjectionFailedException failure)
            {
                await transaction.RollbackAsync(cancellationToken);
                await RecordFailureAsync(connection, failure, cancellationToken);
                return;
            }

            checkpoint = batch.Checkpoint;
            events += batch.RowsRead;
        }

        foreach (var table in Projection.TableNames)
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Schema}.{table}__old", cancellationToken, transaction);
            await ExecuteAsync(connection, $"ALTER TABLE IF EXISTS {Schema}.{table} RENAME TO {table}__old", cancellationToken, transaction);
            await ExecuteAsync(connection, $"ALTER TABLE {Schema}.{table}{ShadowSuffix} RENAME TO {table}", cancellationToken, transaction);
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Schema}.{table}__old", cancellationToken, transaction);
        }

        foreach (var sql in runner.GoLiveSql(Schema, ShadowSuffix))
        {
            await ExecuteAsync(connection, sql, cancellationToken, transaction);
        }

        var seconds = Math.Max(Stopwatch.GetElapsedTime(started).TotalSeconds, 1e-6);
        await using (var update = new NpgsqlCommand(
            $"""
             UPDATE {Schema}.projections
                SET checkpoint_xid = $2, checkpoint_position = $3, state = 'running', built = true, version = $4,
                    rebuild_position = $3, rebuild_events = $5, rebuild_events_per_second = $6, failed_position = NULL,
                    failed_event_id = NULL, failed_event_type = NULL, error = NULL, owner_heartbeat_at = now(), updated_at = now()
              WHERE name = $1
             """,
            connection,
            transaction))
        {
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Projection.Name });
            update.Parameters.Add(new NpgsqlParameter<ulong> { TypedValue = checkpoint.TransactionId, NpgsqlDbType = NpgsqlDbType.Xid8 });
            update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = checkpoint.Position });
            update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Projection.Version });
            update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = events });
            update.Parameters.Add(new NpgsqlParameter<double> { TypedValue = events / seconds });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private Task WaitUntilLogFullyVisibleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        WaitUntilLogFullyVisibleAsync(
            connection,
            transaction,
            Schema,
            options.InlineSwapVisibilityTimeout,
            $"Projection '{Projection.Name}': a long-running transaction kept the end of the log from becoming visible; the swap will be retried.",
            cancellationToken);

    /// <summary>
    /// Waits until every event stored so far is readable from the log (no transaction older than the newest event is
    /// still running anywhere on the server), or throws a <see cref="TimeoutException"/> with <paramref name="timeoutMessage"/>.
    /// </summary>
    internal static async Task WaitUntilLogFullyVisibleAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, TimeSpan timeout, string timeoutMessage, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        await using var command = new NpgsqlCommand(
            $"SELECT coalesce((SELECT max(transaction_id) FROM {schema}.events) < pg_snapshot_xmin(pg_current_snapshot()), true)",
            connection,
            transaction);
        while (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException(timeoutMessage);
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>The failure <see cref="RecordFailureAsync"/> recorded last, if any since the previous call; clears it.</summary>
    public ProjectionFailedException? TakeRecordedFailure() => Interlocked.Exchange(ref _recordedFailure, null);

    /// <summary>Records that the projection's code threw on an event: the projection stops there until resumed.</summary>
    public async Task RecordFailureAsync(NpgsqlConnection connection, ProjectionFailedException failure, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _recordedFailure, failure);
        foreach (var table in Projection.TableNames)
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Schema}.{table}{ShadowSuffix}", cancellationToken);
        }

        await using var update = new NpgsqlCommand(
            $"""
             UPDATE {Schema}.projections
                SET state = 'failed', failed_position = $2, failed_event_id = $3, failed_event_type = $4, error = $5, updated_at = now()
              WHERE name = $1
             """,
            connection);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Projection.Name });
        // A failure no single event can be named for (a rebuild writing its rows) leaves the event columns empty.
        update.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = failure.Event?.Position });
        update.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = failure.Event?.EventId });
        update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = failure.Event?.EventType });
        // Without an event, the message is what says where (which row, which table).
        var error = failure.InnerException?.ToString() ?? failure.Message;
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = failure.Event is null ? failure.Message + "\n" + error : error });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task ReportProgressAsync(NpgsqlConnection connection, LogPosition checkpoint, long events, long started, CancellationToken cancellationToken)
    {
        var seconds = Math.Max(Stopwatch.GetElapsedTime(started).TotalSeconds, 1e-6);
        await ExecuteAsync(
            connection,
            $"UPDATE {Schema}.projections SET rebuild_position = $2, rebuild_events = $3, rebuild_events_per_second = $4, owner_heartbeat_at = now(), updated_at = now() WHERE name = $1",
            cancellationToken,
            Projection.Name,
            checkpoint.Position,
            events,
            events / seconds);
    }

    private NpgsqlBatchCommand RowsLockCommand()
    {
        var command = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ProjectionOwnership.RowsLockKey(Schema, Projection.Name) });
        return command;
    }

    internal static long InlineLockKey(string schema) => LockKeys.For("eventcase.inline-projections." + schema);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters) =>
        await ExecuteAsync(connection, sql, cancellationToken, null, parameters);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The state a projection's row in <c>projections</c> holds.</summary>
internal sealed record ProjectionRecord(int Version, LogPosition Checkpoint, string State, bool Built, bool RebuildRequested);

/// <summary>The values of <c>projections.state</c>.</summary>
public static class ProjectionStates
{
    /// <summary>Following the log.</summary>
    public const string Running = "running";

    /// <summary>Building shadow tables from position 0.</summary>
    public const string Rebuilding = "rebuilding";

    /// <summary>Stopped on an event its code threw on; see the recorded error.</summary>
    public const string Failed = "failed";
}

/// <summary>Stable 64-bit advisory lock keys from names (FNV-1a), the same in every process.</summary>
internal static class LockKeys
{
    public static long For(string name)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in name)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
