using EventCase.EventStore.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.EventStore.Projections;

/// <summary>
/// The projections registered with a store: their tables and rows in <c>projections</c> are created by the store's
/// <c>MigrateAsync</c>; inline ones are applied by every append; the <see cref="ProjectionDaemon"/> runs the rest.
/// </summary>
public sealed class ProjectionSet
{
    private readonly PostgresEventStore _store;
    private readonly IReadOnlyList<ProjectionRunner> _runners;
    private readonly IReadOnlyList<ProjectionRunner> _inline;

    internal ProjectionSet(PostgresEventStore store, EventSerializer serializer, IEnumerable<Projection> projections)
    {
        _store = store;
        var list = projections.ToList();
        var problems = FindProblems(list, serializer, store.Options.ReservedTableNames);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }

        _runners = list.Select(p => p.CreateRunner(serializer)).ToList();
        _inline = _runners.Where(r => r.Projection.Mode == ProjectionMode.Inline).ToList();
    }

    /// <summary>
    /// What would stop a store from registering <paramref name="projections"/>, found without creating one and without
    /// a database: each projection's name, tables, columns and event types, and names or tables given twice. The store's
    /// constructor refuses exactly these; a host checks its configuration with this before it opens a database.
    /// </summary>
    /// <param name="projections">Every projection the store would register.</param>
    /// <param name="serializer">The serializer the store would use (the event types must be registered with it).</param>
    /// <param name="reservedTableNames">Tables something beside the store creates in its schema (<see cref="EventStoreOptions.ReservedTableNames"/>).</param>
    /// <returns>One sentence per problem, naming the projection or the table; empty when the projections can be registered.</returns>
    /// <remarks>Reads each projection's definition (name, tables, columns, event types), which is the projection's own code.</remarks>
    public static IReadOnlyList<string> FindProblems(IEnumerable<Projection> projections, EventSerializer serializer, IReadOnlyCollection<string> reservedTableNames)
    {
        ArgumentNullException.ThrowIfNull(projections);
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(reservedTableNames);
        var problems = new List<string>();
        var valid = new List<Projection>();
        var reservedByOthers = reservedTableNames.ToHashSet(StringComparer.Ordinal);
        foreach (var projection in projections)
        {
            if (projection is null)
            {
                problems.Add("A projection is null.");
                continue;
            }

            try
            {
                projection.Validate(reservedByOthers);
                ValidateEventTypes(projection, serializer.Registry);
                _ = projection.CreateRunner(serializer); // checks the columns, entry tables and correlated columns
                valid.Add(projection);
            }
            catch (ArgumentException e)
            {
                problems.Add(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
            }
        }

        // Among the projections valid on their own: the others' problems are said already.
        var duplicates = valid.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var duplicateTables = valid.SelectMany(p => p.TableNames).GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0 || duplicateTables.Count > 0)
        {
            problems.Add($"Projection names and tables must be unique; repeated: {string.Join(", ", duplicates.Concat(duplicateTables))}.");
        }

        return problems;
    }

    /// <summary>
    /// Every event type a projection handles must be registered with the store's serializer: the runner looks up its
    /// stored name. Without this check the registry's own message would say to register the type "before appending
    /// it", which misleads when nothing is being appended.
    /// </summary>
    private static void ValidateEventTypes(Projection projection, EventTypeRegistry registry)
    {
        if (projection.EventTypes.Any(type => type is null))
        {
            throw new ArgumentException($"Projection '{projection.Name}' lists a null event type in EventTypes.");
        }

        var unregistered = projection.EventTypes.Where(type => !registry.IsRegistered(type)).Select(type => type.FullName).ToList();
        if (unregistered.Count > 0)
        {
            throw new ArgumentException(
                $"Projection '{projection.Name}' handles event type{(unregistered.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unregistered)}, " +
                "not registered with the store's serializer: register each in the EventTypeRegistry the store's EventSerializer is built from " +
                "(with an [EventType] name), or leave it out of the projection's EventTypes.");
        }
    }

    /// <summary>Every registered projection.</summary>
    public IReadOnlyList<Projection> All => _runners.Select(r => r.Projection).ToList();

    /// <summary>The NOTIFY channel for control requests (rebuild, resume).</summary>
    public string ControlChannel => _store.Options.Schema + "_projection_control";

    internal IReadOnlyList<ProjectionRunner> Runners => _runners;

    internal bool HasInline => _inline.Count > 0;

    /// <summary>Creates missing projection tables and registers missing projections. Part of the store's migration.</summary>
    internal async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var schema = _store.Options.Schema;
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKeys.For("eventcase.projection-tables." + schema) });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var runner in _runners)
        {
            foreach (var sql in runner.CreateTablesSql(schema, string.Empty, withIndexes: true))
            {
                await using var create = new NpgsqlCommand(sql, connection, transaction);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            // A projection registered on an empty log is built already; on a log with events it is built by its first
            // owner (a rebuild), while its empty tables serve.
            await using var register = new NpgsqlCommand(
                $"""
                 INSERT INTO {schema}.projections (name, version, built, mode)
                 VALUES ($1, $2, NOT EXISTS (SELECT 1 FROM {schema}.events), $3)
                 ON CONFLICT (name) DO UPDATE SET mode = EXCLUDED.mode WHERE projections.mode IS DISTINCT FROM EXCLUDED.mode
                 """,
                connection,
                transaction);
            register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runner.Projection.Name });
            register.Parameters.Add(new NpgsqlParameter<int> { TypedValue = runner.Projection.Version });
            register.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ModeName(runner.Projection.Mode) });
            await register.ExecuteNonQueryAsync(cancellationToken);
        }

        // A new version that adds columns finds the live tables of the old one until its rebuild swaps them: add the
        // missing columns (empty) so that an inline projection's appends can write them meanwhile. Only what is
        // missing, found first in one query: an ALTER TABLE locks the table even when it changes nothing.
        foreach (var sql in await MissingColumnsSqlAsync(connection, transaction, schema, cancellationToken))
        {
            await using var alter = new NpgsqlCommand(sql, connection, transaction);
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<List<string>> MissingColumnsSqlAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, CancellationToken cancellationToken)
    {
        var declared = _runners.SelectMany(r => r.DeclaredColumns()).ToList();
        if (declared.Count == 0)
        {
            return [];
        }

        var existing = new HashSet<(string, string)>();
        await using (var query = new NpgsqlCommand(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)", connection, transaction))
        {
            query.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
            query.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = declared.Select(c => c.Table).Distinct().ToArray() });
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existing.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        return declared
            .Where(c => !existing.Contains((c.Table, c.Column)))
            .Select(c => $"ALTER TABLE {schema}.{c.Table} ADD COLUMN IF NOT EXISTS {c.Column} {c.SqlType}")
            .ToList();
    }

    /// <summary>
    /// Applies freshly appended events to the inline projections, in the append's transaction; with
    /// <paramref name="commit"/>, commits it in the writes' round trip when it can. True when it committed.
    /// </summary>
    internal async Task<bool> ApplyInlineAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<RecordedEvent> events, bool commit, CancellationToken cancellationToken)
    {
        // Every inline projection's rows are loaded in one round trip and written in one more, however many there are:
        // this runs inside the append's transaction, holding its stream lock.
        var applications = new List<ProjectionRunner.PendingApplication>(_inline.Count);
        foreach (var runner in _inline)
        {
            if (runner.BeginApply(_store.Options.Schema, string.Empty, events) is { } application)
            {
                applications.Add(application);
            }
        }

        return await ProjectionRunner.ApplyAllAsync(connection, transaction, applications, _store.Options.PrepareStatements, commit, cancellationToken);
    }

    /// <summary>Whether the projection named <paramref name="name"/> keeps one row per stream, so that <see cref="RebuildStreamAsync"/> can rebuild one stream's rows.</summary>
    /// <exception cref="ArgumentException">No projection of that name is registered.</exception>
    public bool KeepsRowsPerStream(string name) => RunnerNamed(name).RowsArePerStream;

    /// <summary>
    /// Rebuilds one stream's rows, when only they are wrong: in each projection that keeps one row per stream, its row
    /// and entries are replaced by a fold of its events, in one transaction, while everything else goes on. An inline
    /// projection's row is folded from every event of the stream (appends to it wait meanwhile, as behind any append); an
    /// async projection's up to its checkpoint, its owner's next step waiting meanwhile, so that the daemon carries on
    /// from there without applying an event twice or missing one. Runs in any process that registers the projections
    /// (the service, the command line): it needs no daemon.
    /// </summary>
    /// <param name="stream">The stream. One with no events leaves no row (a row it had is removed).</param>
    /// <param name="options">Which projections, and whether only to compare; null for every projection that keeps one row per stream, for real.</param>
    /// <param name="cancellationToken">Cancels; nothing is changed then.</param>
    /// <returns>One result per projection rebuilt, in the order of registration; <see cref="StreamRebuildResult.Changed"/> says where the rows were wrong.</returns>
    /// <exception cref="ArgumentException">A named projection is not registered, or keeps rows that are not one stream's.</exception>
    /// <exception cref="StreamRebuildRefusedException">A projection's tables were built by another version of it (it is due for a whole rebuild), or it was never migrated.</exception>
    /// <exception cref="ProjectionFailedException">A projection's code threw on one of the stream's events; nothing is changed.</exception>
    public async Task<IReadOnlyList<StreamRebuildResult>> RebuildStreamAsync(StreamName stream, StreamRebuildOptions? options = null, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        options ??= new StreamRebuildOptions();
        var runners = options.Projections is null
            ? _runners.Where(r => r.RowsArePerStream).ToList()
            : SelectForStreamRebuild(options.Projections);
        if (runners.Count == 0)
        {
            return [];
        }

        var schema = _store.Options.Schema;
        var inline = runners.Exists(r => r.Projection.Mode == ProjectionMode.Inline);
        var asyncNames = runners.Where(r => r.Projection.Mode == ProjectionMode.Async).Select(r => r.Projection.Name).Order(StringComparer.Ordinal).ToList();
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One round trip: the locks, in the order an append takes them (the inline projections' shared lock, then the
        // stream's), then each async projection's rows lock, shared, in name order; then, holding them, the projections'
        // versions and checkpoints, the stream's events and what its rows hold now. Holding the locks: no append to the
        // stream and no inline swap is under way; no owner's step or swap of those async projections is, and their
        // checkpoints stand still.
        var records = new Dictionary<string, (int Version, LogPosition Checkpoint)>(StringComparer.Ordinal);
        RecordedEvent[] events;
        var before = new ProjectionRunner.StreamSnapshot[runners.Count];
        await using (var first = new NpgsqlBatch(connection, transaction))
        {
            if (inline)
            {
                first.BatchCommands.Add(LockCommand("pg_advisory_xact_lock_shared($1)", ProjectionWorker.InlineLockKey(schema)));
            }

            var streamLock = new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({schema}.stream_lock_key($1, $2))");
            streamLock.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
            streamLock.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
            first.BatchCommands.Add(streamLock);
            foreach (var name in asyncNames)
            {
                first.BatchCommands.Add(LockCommand("pg_advisory_xact_lock_shared($1)", ProjectionOwnership.RowsLockKey(schema, name)));
            }

            var locks = first.BatchCommands.Count;
            var read = new NpgsqlBatchCommand($"SELECT name, version, checkpoint_xid, checkpoint_position FROM {schema}.projections WHERE name = ANY($1)");
            read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = runners.Select(r => r.Projection.Name).ToArray() });
            first.BatchCommands.Add(read);
            first.BatchCommands.Add(_store.ReadStreamCommand(stream, runners.Exists(r => r.Projection.ReadsMetadata)));
            foreach (var runner in runners)
            {
                foreach (var command in runner.StreamSnapshotCommands(schema, stream))
                {
                    first.BatchCommands.Add(command);
                }
            }

            await using var reader = await first.ExecuteReaderAsync(cancellationToken);
            for (var i = 0; i < locks; i++)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            while (await reader.ReadAsync(cancellationToken))
            {
                records[reader.GetString(0)] = (reader.GetInt32(1), new LogPosition(reader.GetFieldValue<ulong>(2), reader.GetInt64(3)));
            }

            await reader.NextResultAsync(cancellationToken);
            events = await _store.ReadStreamEventsAsync(reader, cancellationToken);
            for (var i = 0; i < runners.Count; i++)
            {
                await reader.NextResultAsync(cancellationToken);
                before[i] = await runners[i].ReadStreamSnapshotAsync(reader, cancellationToken);
            }
        }

        foreach (var runner in runners)
        {
            var projection = runner.Projection;
            if (!records.TryGetValue(projection.Name, out var record))
            {
                throw new StreamRebuildRefusedException(projection.Name, $"Projection '{projection.Name}' is not registered in the database; run the store's MigrateAsync first.");
            }

            if (record.Version != projection.Version)
            {
                throw new StreamRebuildRefusedException(
                    projection.Name,
                    $"Projection '{projection.Name}' has tables built by its version {record.Version}, and this is version {projection.Version}: it is due for a whole rebuild, which replaces every row; a stream rebuild would write this version's rows into the other version's tables.");
            }
        }

        // Each projection's fold, in memory; then one round trip deletes and writes every row, a COPY per entry table
        // writes the entries, and one more reads what the rows hold now and ends the transaction.
        var rebuilds = runners
            .Select(r => r.BeginStreamRebuild(schema, stream, events, r.Projection.Mode == ProjectionMode.Async ? records[r.Projection.Name].Checkpoint : null))
            .ToList();
        var current = -1;
        try
        {
            await using (var write = new NpgsqlBatch(connection, transaction))
            {
                foreach (var rebuild in rebuilds)
                {
                    foreach (var command in rebuild.WriteCommands())
                    {
                        write.BatchCommands.Add(command);
                    }
                }

                await write.ExecuteNonQueryAsync(cancellationToken);
            }

            for (current = 0; current < rebuilds.Count; current++)
            {
                await rebuilds[current].CopyEntriesAsync(connection, cancellationToken);
            }
        }
        catch (PostgresException refused) when (ProjectionFailedException.IsRefusal(refused))
        {
            // Every projection's writes went in one batch, and PostgreSQL does not always say which statement it refused
            // (a value it cannot take as a parameter names none): each projection's are tried alone to find out.
            await transaction.RollbackAsync(cancellationToken);
            var refusedBy = current >= 0 ? runners[current] : await FindRefusedWritesAsync(connection, rebuilds, runners, cancellationToken);
            throw new ProjectionFailedException(refusedBy.Projection.Name, $"writing the rows of stream '{stream.Tenant}/{stream.Id}'", refused);
        }

        var results = new List<StreamRebuildResult>(runners.Count);
        await using (var last = new NpgsqlBatch(connection, transaction))
        {
            foreach (var runner in runners)
            {
                foreach (var command in runner.StreamSnapshotCommands(schema, stream))
                {
                    last.BatchCommands.Add(command);
                }
            }

            // The transaction ends in the same round trip (as an append's commit rides with its projections' writes).
            last.BatchCommands.Add(new NpgsqlBatchCommand(options.DryRun ? "ROLLBACK" : "COMMIT"));

            await using var reader = await last.ExecuteReaderAsync(cancellationToken);
            for (var i = 0; i < rebuilds.Count; i++)
            {
                if (i > 0)
                {
                    await reader.NextResultAsync(cancellationToken);
                }

                results.Add(rebuilds[i].Result(before[i], await runners[i].ReadStreamSnapshotAsync(reader, cancellationToken)));
            }
        }

        return results;
    }

    /// <summary>
    /// The projection whose writes PostgreSQL refuses: each projection's are run alone, in a transaction rolled back at
    /// once. The first of them when none is refused alone.
    /// </summary>
    private static async Task<ProjectionRunner> FindRefusedWritesAsync(
        NpgsqlConnection connection, List<ProjectionRunner.StreamRebuild> rebuilds, List<ProjectionRunner> runners, CancellationToken cancellationToken)
    {
        for (var i = 0; i < rebuilds.Count; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var write = new NpgsqlBatch(connection, transaction);
            foreach (var command in rebuilds[i].WriteCommands())
            {
                write.BatchCommands.Add(command);
            }

            try
            {
                await write.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException refused) when (ProjectionFailedException.IsRefusal(refused))
            {
                return runners[i];
            }
            finally
            {
                await transaction.RollbackAsync(cancellationToken);
            }
        }

        return runners[0];
    }

    private static NpgsqlBatchCommand LockCommand(string function, long key)
    {
        var command = new NpgsqlBatchCommand("SELECT " + function);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
        return command;
    }

    private List<ProjectionRunner> SelectForStreamRebuild(IReadOnlyCollection<string> names)
    {
        if (names.Count == 0)
        {
            throw new ArgumentException("Name at least one projection, or none (null) for every projection that keeps one row per stream.", "options");
        }

        var selected = new List<ProjectionRunner>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var runner = RunnerNamed(name);
            if (!runner.RowsArePerStream)
            {
                throw new ArgumentException(
                    $"Projection '{name}' keys its rows by something else than the stream (its own RowKey): a row may fold events of many streams, so it can only be rebuilt whole.",
                    "options");
            }

            selected.Add(runner);
        }

        // In the order of registration, whatever the order asked.
        return _runners.Where(selected.Contains).ToList();
    }

    private ProjectionRunner RunnerNamed(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _runners.FirstOrDefault(r => string.Equals(r.Projection.Name, name, StringComparison.Ordinal))
            ?? throw new ArgumentException($"No projection named '{name}' is registered; registered: {string.Join(", ", _runners.Select(r => r.Projection.Name))}.", nameof(name));
    }

    /// <summary>Asks the projection's owner to rebuild it (shadow tables, then an atomic swap). Returns at once.</summary>
    /// <exception cref="ArgumentException">No projection of that name is registered.</exception>
    public Task RequestRebuildAsync(string name, CancellationToken cancellationToken = default) =>
        ControlAsync(name, "rebuild_requested_at = now(), state = CASE WHEN state = 'failed' THEN 'running' ELSE state END, error = NULL", cancellationToken);

    /// <summary>Clears a failed projection so its owner retries from its checkpoint (after the cause was fixed).</summary>
    public Task ResumeAsync(string name, CancellationToken cancellationToken = default) =>
        ControlAsync(name, "state = 'running', error = NULL, failed_position = NULL, failed_event_id = NULL, failed_event_type = NULL", cancellationToken);

    private async Task ControlAsync(string name, string assignments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await using var batch = _store.DataSource.CreateBatch();
        var update = new NpgsqlBatchCommand($"UPDATE {_store.Options.Schema}.projections SET {assignments}, updated_at = now() WHERE name = $1");
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        batch.BatchCommands.Add(update);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {ControlChannel}"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (update.RecordsAffected == 0)
        {
            var known = (await GetStatusAsync(cancellationToken)).Select(s => s.Name);
            throw new ArgumentException($"No projection named '{name}'; known: {string.Join(", ", known)}.", nameof(name));
        }
    }

    /// <summary>
    /// The status of every projection: checkpoint, head of the log, lag in events and seconds, owner, state, the
    /// failure if any, rebuild progress, and the oldest transaction holding readers back, if one does.
    /// </summary>
    public async Task<IReadOnlyList<ProjectionStatus>> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var schema = _store.Options.Schema;
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        long head;
        // The last event in the log's order, found at the end of its key. max(position) has no index to end on: it read
        // the whole key, and every readiness probe and status report grew slower with the log (a second per million
        // events). A caught-up projection's checkpoint is this event.
        await using (var headCommand = new NpgsqlCommand(
            $"SELECT coalesce((SELECT position FROM {schema}.events ORDER BY transaction_id DESC, position DESC LIMIT 1), 0)", connection))
        {
            head = (long)(await headCommand.ExecuteScalarAsync(cancellationToken))!;
        }

        string? waitingOn = null;
        await using (var blocker = new NpgsqlCommand(
            """
            SELECT pid, backend_xid::text, extract(epoch FROM now() - xact_start)::double precision, left(coalesce(query, ''), 120)
              FROM pg_stat_activity
             WHERE backend_xid IS NOT NULL AND xact_start < now() - interval '1 second'
             ORDER BY age(backend_xid) DESC
             LIMIT 1
            """,
            connection))
        await using (var reader = await blocker.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                waitingOn = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"transaction {reader.GetString(1)} (pid {reader.GetInt32(0)}) open for {reader.GetDouble(2):F1} s: {reader.GetString(3)}");
            }
        }

        // Every projection recorded in the database, registered in this process or not (a CLI registers none).
        var names = new List<string>();
        await using (var list = new NpgsqlCommand($"SELECT name FROM {schema}.projections ORDER BY name", connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }

        var statuses = new List<ProjectionStatus>();
        foreach (var name in names)
        {
            var runner = _runners.FirstOrDefault(r => string.Equals(r.Projection.Name, name, StringComparison.Ordinal));
            // An inline projection has no lag (appends write its rows), and its checkpoint stays where its last rebuild
            // ended: counting the events after it counted the log since then, up to a million rows, at every report.
            await using var command = new NpgsqlCommand(
                $"""
                 SELECT p.version, p.checkpoint_xid, p.checkpoint_position, p.state, p.built, p.owner, p.owner_heartbeat_at,
                        p.failed_position, p.failed_event_id, p.failed_event_type, p.error,
                        p.rebuild_started_at, p.rebuild_position, p.rebuild_events, p.rebuild_events_per_second, p.rebuild_target_position, p.mode,
                        CASE WHEN coalesce($2, p.mode = 'inline') THEN 0
                             ELSE (SELECT count(*) FROM (SELECT 1 FROM {schema}.events e WHERE (e.transaction_id, e.position) > (p.checkpoint_xid, p.checkpoint_position) LIMIT 1000001) lag) END,
                        CASE WHEN coalesce($2, p.mode = 'inline') THEN NULL
                             ELSE (SELECT e.recorded_at FROM {schema}.events e WHERE (e.transaction_id, e.position) > (p.checkpoint_xid, p.checkpoint_position) ORDER BY e.transaction_id, e.position LIMIT 1) END
                   FROM {schema}.projections p WHERE p.name = $1
                 """,
                connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            command.Parameters.Add(new NpgsqlParameter { Value = runner is null ? DBNull.Value : runner.Projection.Mode == ProjectionMode.Inline, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                continue;
            }

            // This process's registration, else the mode its registering process recorded.
            var mode = runner?.Projection.Mode ?? (reader.IsDBNull(16) ? null : ParseMode(reader.GetString(16)));
            var inline = mode == ProjectionMode.Inline;
            var oldestUnprocessed = reader.IsDBNull(18) ? (DateTime?)null : reader.GetDateTime(18);
            double? rate = reader.IsDBNull(14) ? null : reader.GetDouble(14);
            var rebuildPosition = reader.IsDBNull(12) ? (long?)null : reader.GetInt64(12);
            var target = reader.IsDBNull(15) ? (long?)null : reader.GetInt64(15);
            var state = reader.GetString(3);
            TimeSpan? eta = state == ProjectionStates.Rebuilding && rate is > 0 && rebuildPosition is { } p && target is { } t
                ? TimeSpan.FromSeconds(Math.Max(0, t - p) / rate.Value)
                : null;
            statuses.Add(new ProjectionStatus(
                name,
                mode,
                reader.GetInt32(0),
                new LogPosition(reader.GetFieldValue<ulong>(1), reader.GetInt64(2)),
                head,
                inline ? 0 : reader.GetInt64(17),
                inline || oldestUnprocessed is null ? TimeSpan.Zero : DateTime.UtcNow - oldestUnprocessed.Value,
                state,
                reader.GetBoolean(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : NodaTime.Instant.FromDateTimeUtc(reader.GetDateTime(6)),
                reader.IsDBNull(10) ? null : new ProjectionFailure(
                    reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetGuid(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetString(10)),
                state == ProjectionStates.Rebuilding || rate is not null
                    ? new RebuildProgress(reader.IsDBNull(11) ? null : NodaTime.Instant.FromDateTimeUtc(reader.GetDateTime(11)), rebuildPosition ?? 0, reader.IsDBNull(13) ? 0 : reader.GetInt64(13), rate ?? 0, target ?? 0, eta)
                    : null,
                waitingOn));
        }

        return statuses;
    }

    private static string ModeName(ProjectionMode mode) => mode == ProjectionMode.Inline ? "inline" : "async";

    private static ProjectionMode? ParseMode(string name) => name switch
    {
        "inline" => ProjectionMode.Inline,
        "async" => ProjectionMode.Async,
        _ => null,
    };
}

/// <summary>A projection's status.</summary>
/// <param name="Name">The projection.</param>
/// <param name="Mode">Inline or async: as this process registers it, else as the process that registers it recorded it; null for a projection registered before modes were recorded and not registered here.</param>
/// <param name="Version">The version its live tables were built with.</param>
/// <param name="Checkpoint">The last event its live tables reflect (async projections).</param>
/// <param name="HeadPosition">The position of the last event in the log's order (transaction, then position): the checkpoint of a projection that has caught up.</param>
/// <param name="LagEvents">Events after the checkpoint (capped at 1,000,001; 0 for inline projections).</param>
/// <param name="Lag">How long the oldest unprocessed event has waited.</param>
/// <param name="State">running, rebuilding or failed.</param>
/// <param name="Built">Whether the live tables have been built from the log at least once.</param>
/// <param name="Owner">The node that owns it (last heartbeat in <paramref name="OwnerHeartbeatAt"/>).</param>
/// <param name="OwnerHeartbeatAt">When the owner last reported.</param>
/// <param name="Failure">The event it failed on and the error, when failed.</param>
/// <param name="Rebuild">Progress of the running (or the last) rebuild.</param>
/// <param name="WaitingOn">The oldest open write transaction on the server, which holds every log reader back, if one is open over a second.</param>
public sealed record ProjectionStatus(
    string Name,
    ProjectionMode? Mode,
    int Version,
    LogPosition Checkpoint,
    long HeadPosition,
    long LagEvents,
    TimeSpan Lag,
    string State,
    bool Built,
    string? Owner,
    NodaTime.Instant? OwnerHeartbeatAt,
    ProjectionFailure? Failure,
    RebuildProgress? Rebuild,
    string? WaitingOn);

/// <summary>Where and why a projection failed.</summary>
/// <param name="Position">The failing event's position; null when no single event is to blame (a rebuild writing its rows).</param>
/// <param name="EventId">The failing event's id, or null.</param>
/// <param name="EventType">The failing event's type, or null.</param>
/// <param name="Error">What failed: the exception the projection threw, or PostgreSQL's refusal.</param>
public sealed record ProjectionFailure(long? Position, Guid? EventId, string? EventType, string Error);

/// <summary>A rebuild's progress.</summary>
/// <param name="StartedAt">When it started.</param>
/// <param name="Position">The log position reached.</param>
/// <param name="Events">Log rows processed.</param>
/// <param name="EventsPerSecond">The rate so far.</param>
/// <param name="TargetPosition">The head of the log when it started.</param>
/// <param name="Eta">Estimated time to reach the target.</param>
public sealed record RebuildProgress(NodaTime.Instant? StartedAt, long Position, long Events, double EventsPerSecond, long TargetPosition, TimeSpan? Eta);
