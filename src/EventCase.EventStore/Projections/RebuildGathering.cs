using Microsoft.Extensions.Logging;
using Npgsql;

namespace EventCase.EventStore.Projections;

/// <summary>
/// Gathers the projections of one daemon that need a rebuild at about the same time (at first start, after a version
/// bump, after rebuilds requested together) into one rebuild pass over the log, so that each event is read and
/// deserialized once for all of them. The first agent to need a rebuild leads: it waits
/// <see cref="ProjectionDaemonOptions.RebuildGatherWindow"/> for others, takes over their ownership locks on its own
/// connection, rebuilds them all, and gives the locks back. An agent that joins gives its lock up first, so that the
/// connection doing the work always holds the lock of every projection it rebuilds; if another node takes the
/// projection in between, it is left out and that node rebuilds it. Thread safe.
/// </summary>
internal sealed class RebuildGathering(TimeSpan window, ILogger logger)
{
    private readonly Lock _gate = new();
    private List<Member>? _open;

    /// <summary>
    /// Rebuilds <paramref name="worker"/>'s projection, together with any others that need it at the same time.
    /// </summary>
    /// <returns>
    /// True when the caller led the rebuild and still owns its projection; false when it handed its ownership over
    /// (it no longer holds <paramref name="lockKey"/>) and must take ownership again before doing anything.
    /// </returns>
    public async Task<bool> RebuildAsync(ProjectionWorker worker, NpgsqlConnection connection, long lockKey, CancellationToken cancellationToken)
    {
        bool lead;
        lock (_gate)
        {
            lead = _open is null;
            _open ??= [];
        }

        return lead
            ? await LeadAsync(worker, connection, cancellationToken)
            : await JoinAsync(new Member(worker, lockKey), connection, cancellationToken);
    }

    private async Task<bool> JoinAsync(Member member, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Give the lock up before joining: the leader takes it on its own connection.
        await ProjectionOwnership.ReleaseAsync(connection, member.LockKey, logger);
        lock (_gate)
        {
            if (_open is null)
            {
                // The gathering closed meanwhile; take ownership again and look afresh.
                return false;
            }

            _open.Add(member);
        }

        await member.Done.Task.WaitAsync(cancellationToken);
        return false;
    }

    private async Task<bool> LeadAsync(ProjectionWorker worker, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var members = new List<Member>();
        var taken = new List<Member>();
        try
        {
            try
            {
                await Task.Delay(window, cancellationToken);
            }
            finally
            {
                lock (_gate)
                {
                    members = _open!;
                    _open = null;
                }
            }

            var workers = new List<ProjectionWorker> { worker };
            foreach (var member in members)
            {
                if (!await ProjectionOwnership.TryTakeAsync(connection, member.LockKey, cancellationToken))
                {
                    // Another node took it while it changed hands: that node owns it now, and rebuilds it.
                    continue;
                }

                taken.Add(member);
                var record = await member.Worker.ReadRecordAsync(connection, cancellationToken);
                if (member.Worker.NeedsRebuild(record))
                {
                    workers.Add(member.Worker);
                }
            }

            if (workers.Count > 1)
            {
                logger.LogInformation("Rebuilding projections {Projections} in one pass over the log.", string.Join(", ", workers.Select(w => w.Runner.Projection.Name)));
            }

            await ProjectionOwnership.ReportWhileAsync(
                workers,
                async () =>
                {
                    await ProjectionWorker.RebuildTogetherAsync(workers, connection, cancellationToken);
                    return true;
                },
                cancellationToken);
            return true;
        }
        finally
        {
            foreach (var member in taken)
            {
                await ProjectionOwnership.ReleaseAsync(connection, member.LockKey, logger);
            }

            foreach (var member in members)
            {
                member.Done.TrySetResult();
            }
        }
    }

    private sealed record Member(ProjectionWorker Worker, long LockKey)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A projection's ownership: a PostgreSQL session advisory lock held by the connection that does its work.</summary>
internal static class ProjectionOwnership
{
    public static long LockKey(string schema, string projection) => LockKeys.For($"eventcase.projection.{schema}.{projection}");

    /// <summary>
    /// The transaction lock on an async projection's live rows: its owner takes it exclusively in every transaction that
    /// writes them (a step, a swap), a stream rebuild takes it shared. Ownership itself cannot serve: it is a session
    /// lock held by the owner's connection for as long as it owns the projection, and a stream rebuild runs in any
    /// process, beside the owner.
    /// </summary>
    public static long RowsLockKey(string schema, string projection) => LockKeys.For($"eventcase.projection-rows.{schema}.{projection}");

    public static async Task<bool> TryTakeAsync(NpgsqlConnection connection, long lockKey, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Ends the session that holds the ownership lock when its owner has been silent for <paramref name="silence"/>: the
    /// projection's heartbeat is older than that, and the session has been waiting on its client as long (idle, idle in a
    /// transaction, or blocked sending it results). A live owner runs a statement on its connection every poll interval
    /// and reports at least every few seconds, also while it rebuilds; one running a statement, however long, is not
    /// silent. The owner that was ended loses its connection, and with it its lock and any open transaction, so it
    /// cannot write after another node took over. Returns the session ended, or null when none was.
    /// </summary>
    public static async Task<(int Pid, string? Owner)?> EndSilentOwnerAsync(
        NpgsqlConnection connection, long lockKey, string schema, string projection, TimeSpan silence, CancellationToken cancellationToken)
    {
        // The heartbeat is checked first, alone: one key read each retry; the views of locks and sessions are read (the
        // lateral part runs once per row before it) only for an owner that has stopped reporting.
        await using var command = new NpgsqlCommand(
            $"""
             WITH silent AS MATERIALIZED (
                 SELECT p.owner FROM {schema}.projections p WHERE p.name = $2 AND p.owner_heartbeat_at < now() - $3)
             SELECT holder.pid, s.owner, pg_terminate_backend(holder.pid)
               FROM silent s
              CROSS JOIN LATERAL (
                 SELECT a.pid
                   FROM pg_locks l
                   JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
                    AND a.pid <> pg_backend_pid() AND a.wait_event_type = 'Client' AND a.state_change < now() - $3) holder
             """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = projection });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = silence });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && reader.GetBoolean(2)
            ? (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1))
            : null;
    }

    /// <summary>
    /// Runs <paramref name="work"/> of the owner of <paramref name="workers"/>' projections (a live batch, a rebuild) and,
    /// for as long as it lasts beyond a poll interval, reports for them every poll interval on a pooled connection of its
    /// own. Why: the work folds events in memory between two statements, which to the database looks like a frozen owner
    /// (its heartbeat old, its connection waiting on its client); a slow projection whose batch took longer than
    /// <see cref="ProjectionDaemonOptions.TakeOverFromSilentOwnerAfter"/> was ended part-way through every batch by another
    /// node, which was then ended in turn, and the projection never moved. A frozen process reports nothing, so it is
    /// still ended. The reports cannot come from the owning connection: it is busy, or inside the batch's transaction,
    /// whose writes nobody sees before the commit.
    /// </summary>
    public static async Task<T> ReportWhileAsync<T>(IReadOnlyList<ProjectionWorker> workers, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reports = ReportUntilAsync(workers, done.Token);
        try
        {
            return await work();
        }
        finally
        {
            await done.CancelAsync();
            await reports;
        }
    }

    private static async Task ReportUntilAsync(IReadOnlyList<ProjectionWorker> workers, CancellationToken cancellationToken)
    {
        var store = workers[0].Store;
        var options = workers[0].Options;
        var names = workers.Select(w => w.Runner.Projection.Name).ToArray();
        try
        {
            while (true)
            {
                // The work's end stops the wait far more often than a poll interval ends it (every batch of a busy
                // projection, tens a second): awaited without throwing, that ordinary end stays out of the exceptions
                // an operator watches (dotnet.exceptions counted a TaskCanceledException per batch).
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                try
                {
                    await using var batch = store.DataSource.CreateBatch();
                    batch.BatchCommands.Add(AsynchronousCommit.BatchCommand());
                    var update = new NpgsqlBatchCommand($"UPDATE {store.Options.Schema}.projections SET owner = $2, owner_heartbeat_at = now() WHERE name = ANY($1)");
                    update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
                    update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.NodeId });
                    batch.BatchCommands.Add(update);
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    // A report that did not get through is tried again a poll interval later; the work itself meets and
                    // handles a database that is gone.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The work is over.
        }
    }

    /// <summary>Releases the lock; false when the connection did not hold it.</summary>
    public static async Task<bool> UnlockAsync(NpgsqlConnection connection, long lockKey, CancellationToken cancellationToken)
    {
        // pg_advisory_unlock warns when the lock is not held; this asks first, so nothing is logged for a lock that
        // was not there to give up.
        await using var command = new NpgsqlCommand(
            """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks
                                      WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                                        AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1)
                        THEN pg_advisory_unlock($1) ELSE false END
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Releases the lock if the connection still works; if it is broken, the server has released it already.</summary>
    public static async Task ReleaseAsync(NpgsqlConnection connection, long lockKey, ILogger logger)
    {
        try
        {
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey });
                await command.ExecuteNonQueryAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            logger.LogDebug(e, "Could not release projection ownership explicitly; the connection is gone, and the lock with it.");
        }
    }
}
