using System.Runtime.CompilerServices;
using System.Text;
using EventCase.EventStore.Projections;
using EventCase.EventStore.Schema;
using EventCase.EventStore.Serialization;
using NodaTime;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.EventStore;

/// <summary>
/// The event store on PostgreSQL: streams with optimistic concurrency, tenants, metadata on every event, reads of a
/// stream (forward, backward, up to a version or an instant) and of the global log, which no reader ever skips.
/// Thread safe; one instance per data source and schema is meant to live as long as the application.
/// </summary>
public sealed class PostgresEventStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly EventStoreOptions _options;
    private readonly string _appendSql;
    private readonly string _readStreamColumns;

    // The same columns with the metadata left out (NULL in its place), for projections that never read it.
    private readonly string _readLogColumnsWithoutMetadata;
    private readonly string _qualifiedReadStreamColumns;
    private readonly string _readFromSnapshotSql;
    private readonly string _readDataFromSnapshotSql;
    private readonly string _schema;

    /// <summary>Creates a store over <paramref name="dataSource"/>. Call <see cref="MigrateAsync"/> once before use.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="serializer">Event names, upcasters and JSON settings.</param>
    /// <param name="options">Schema, limits.</param>
    /// <param name="projections">The read models built from the log: inline ones are applied by every append, async ones
    /// by a <see cref="ProjectionDaemon"/>.</param>
    public PostgresEventStore(NpgsqlDataSource dataSource, EventSerializer serializer, EventStoreOptions? options = null, IEnumerable<Projection>? projections = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        Serializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        _options = options ?? new EventStoreOptions();
        _options.Validate();
        _schema = _options.Schema;
        _appendSql = $"SELECT outcome, stream_version, positions, transaction_id, recorded_at FROM {_schema}.append_events($1, $2, $3, $4, $5, $6, $7, $8)";
        _readStreamColumns =
            "position, transaction_id, tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at, hash";
        _readLogColumnsWithoutMetadata = _readStreamColumns.Replace(", metadata,", ", NULL::jsonb,", StringComparison.Ordinal);
        _qualifiedReadStreamColumns = string.Join(", ", _readStreamColumns.Split(", ").Select(column => "e." + column));
        // One statement: the snapshot (as a row shaped like an event row, its state in the data column), then the
        // events after it. The snapshot CTE is read once, so the events start right after the snapshot read.
        string FromSnapshot(string snapshotRow, string eventColumns) =>
            $"""
             WITH snapshot AS MATERIALIZED (
                 SELECT version, state FROM {_schema}.snapshots WHERE tenant_id = $1 AND stream_id = $2 AND kind = $3)
             SELECT {snapshotRow} FROM snapshot
             UNION ALL
             SELECT * FROM (
                 SELECT {eventColumns}
                   FROM {_schema}.events
                  WHERE tenant_id = $1 AND stream_id = $2 AND stream_version > coalesce((SELECT version FROM snapshot), 0)
                  ORDER BY stream_version) tail
             """;
        _readFromSnapshotSql = FromSnapshot(
            "NULL::bigint, NULL::xid8, NULL::text, NULL::text, version, NULL::uuid, NULL::text, state, NULL::jsonb, NULL::timestamptz, NULL::bytea, 0",
            _readStreamColumns + ", 1");

        // For a fold, only what a fold reads: leaving out the metadata, ids and hash saves the server rendering them
        // and the client parsing them, about a sixth of a load (W3).
        _readDataFromSnapshotSql = FromSnapshot("NULL::bigint, version, NULL::text, state", "position, stream_version, event_type, data");
        _inlineLockKey = ProjectionWorker.InlineLockKey(_schema);
        _notifier = new AppendNotifier(dataSource, _options.NotificationChannel);
        _combiner = _options.CombineConcurrentAppends
            ? new WriteCombiner<PreparedAppend, AppendResult>(
                AppendAloneAsync, AppendTogetherAsync, static (a, b) => a.Stream == b.Stream, static a => a.EventIds.Length, _options.MaxEventsPerAppend)
            : null;
        Projections = new ProjectionSet(this, serializer, projections ?? []);
    }

    private readonly long _inlineLockKey;
    private readonly AppendNotifier _notifier;
    private readonly WriteCombiner<PreparedAppend, AppendResult>? _combiner;

    /// <summary>
    /// Wakes subscribers of the log (projection daemons) now. The store does this itself after every append it
    /// commits; call it after committing a transaction in which you appended with the connection-and-transaction
    /// overload, or subscribers notice your events only at their next poll.
    /// </summary>
    public void NotifyAppended() => _notifier.Signal();

    /// <summary>The projections registered with this store.</summary>
    public ProjectionSet Projections { get; }

    /// <summary>The serializer (and through it the type registry) this store reads and writes with.</summary>
    public EventSerializer Serializer { get; }

    /// <summary>The store's settings.</summary>
    public EventStoreOptions Options => _options;

    /// <summary>The data source the store uses.</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>The migration series of the event store's own schema.</summary>
    public const string MigrationSet = "eventstore";

    /// <summary>The event store's migration scripts.</summary>
    public static IReadOnlyList<Migration> Migrations { get; } =
        Migration.FromEmbeddedResources(typeof(PostgresEventStore).Assembly, ".Schema.Migrations.");

    /// <summary>
    /// Creates or upgrades the store's schema. Idempotent; safe when several processes call it at the same moment.
    /// </summary>
    /// <exception cref="InvalidOperationException">The schema cannot be used as it is: a migration script differs from
    /// the one recorded, a newer build migrated it, or the log was restored from another cluster and runs ahead of this
    /// server's transaction ids (see <see cref="AdoptRestoredLogAsync"/>). The message says what to do.</exception>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var applied = await SchemaMigrator.MigrateAsync(
            _dataSource,
            _schema,
            MigrationSet,
            Migrations,
            new Dictionary<string, string> { ["__channel__"] = _options.NotificationChannel },
            cancellationToken);
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
        {
            if (await RestoredLog.AheadOfServerAsync(connection, _schema, null, cancellationToken) is var (newest, serverNext))
            {
                throw RestoredLog.Refusal(_schema, newest, serverNext);
            }
        }

        await Projections.EnsureCreatedAsync(cancellationToken);
        return applied;
    }

    /// <summary>
    /// Makes a log restored with <c>pg_dump</c>/<c>pg_restore</c> from another cluster usable on this one: its events'
    /// transaction ids, which run ahead of this server's, are moved into the server's past (the events keep their content,
    /// hashes and order within each stream; the restored events keep their position order among themselves), and every
    /// projection's rebuild is requested. Appends wait while it runs. Run it once, before the service starts, when
    /// <see cref="MigrateAsync"/> refuses the log; on any other log it changes nothing.
    /// </summary>
    /// <returns>The number of events whose transaction id was moved; 0 when the log did not run ahead of the server.</returns>
    public Task<long> AdoptRestoredLogAsync(CancellationToken cancellationToken = default) =>
        RestoredLog.AdoptAsync(_dataSource, _schema, cancellationToken);

    /// <summary>
    /// Appends <paramref name="events"/> to <paramref name="stream"/> atomically, in one round trip, if the stream is at
    /// <paramref name="expectedVersion"/>. Appends of concurrent callers that arrive while another is being written are
    /// written together, in one transaction, each with its own outcome (group commit, decision 0016; see
    /// <see cref="EventStoreOptions.CombineConcurrentAppends"/>).
    /// </summary>
    /// <param name="stream">The tenant and stream id.</param>
    /// <param name="streamType">The kind of stream (recorded when the stream is created), for example <c>case</c>.</param>
    /// <param name="expectedVersion">Optimistic concurrency: what the writer believes the stream's version is.</param>
    /// <param name="events">One or more events.</param>
    /// <param name="cancellationToken">
    /// Cancels the append: while it waits for a batch, nothing is written; written alone, nothing is written unless it
    /// already committed; once taken into a batch with other appends, it is written with them (and, if the batch fails
    /// as a whole, again on its own, so that an append the batch committed before losing its connection is reported).
    /// </param>
    /// <exception cref="WrongExpectedVersionException">The stream is at another version. Nothing was written and no position was drawn.</exception>
    /// <exception cref="DuplicateEventIdException">Some event ids are already stored, but not as this very append.</exception>
    /// <exception cref="EventTooLargeException">An event exceeds <see cref="EventStoreOptions.MaxEventSizeBytes"/>.</exception>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name, stream type, or event list.</exception>
    /// <exception cref="UnknownEventTypeException">An event's CLR type is not registered.</exception>
    public Task<AppendResult> AppendToStreamAsync(
        StreamName stream,
        string streamType,
        ExpectedVersion expectedVersion,
        IReadOnlyList<NewEvent> events,
        CancellationToken cancellationToken = default)
    {
        var prepared = PrepareAppend(stream, streamType, expectedVersion, events);
        return _combiner is null ? AppendAloneAsync(prepared, cancellationToken) : _combiner.WriteAsync(prepared, cancellationToken);
    }

    /// <summary>One append in a transaction of its own.</summary>
    private async Task<AppendResult> AppendAloneAsync(PreparedAppend prepared, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        if (!Projections.HasInline)
        {
            // A single statement is its own transaction: one round trip.
            var (result, _) = await ExecuteAppendAsync(connection, null, prepared, commit: false, cancellationToken);
            if (!result.AlreadyAppended)
            {
                _notifier.Signal();
            }

            return result;
        }

        return await AppendInOwnTransactionAsync(connection, prepared, cancellationToken);
    }

    /// <summary>
    /// Appends within the caller's connection and transaction, so that other writes (inline projections, for example)
    /// commit or roll back together with the events. Call <see cref="NotifyAppended"/> after committing to wake
    /// subscribers at once (they poll otherwise). The transaction must not have written anything before its first
    /// append (the stream lock must come before the transaction draws its id); a violation is refused with
    /// SQLSTATE 40001 rather than allowed to reorder the log.
    /// </summary>
    public Task<AppendResult> AppendToStreamAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        StreamName stream,
        string streamType,
        ExpectedVersion expectedVersion,
        IReadOnlyList<NewEvent> events,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var prepared = PrepareAppend(stream, streamType, expectedVersion, events);
        return transaction is null && Projections.HasInline
            ? AppendInOwnTransactionAsync(connection, prepared, cancellationToken)
            : AppendInCallersTransactionAsync(connection, transaction, prepared, cancellationToken);
    }

    private async Task<AppendResult> AppendInCallersTransactionAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, PreparedAppend prepared, CancellationToken cancellationToken) =>
        (await ExecuteAppendAsync(connection, transaction, prepared, commit: false, cancellationToken)).Result;

    private async Task<AppendResult> AppendInOwnTransactionAsync(NpgsqlConnection connection, PreparedAppend prepared, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (result, committed) = await ExecuteAppendAsync(connection, transaction, prepared, commit: true, cancellationToken);
        if (!committed)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        if (!result.AlreadyAppended)
        {
            _notifier.Signal();
        }

        return result;
    }

    /// <summary>
    /// Appends to many streams in one transaction and one round trip: all or nothing. Every stream is locked up front,
    /// in a fixed order, before anything is written (so concurrent batches cannot deadlock, and the transaction draws
    /// its id only once it holds all its streams). Made for bulk work such as imports. A batch rejected part way
    /// (a wrong expected version in one of its streams) writes nothing, though it may have drawn positions for the
    /// streams before the rejected one: harmless gaps, since no reader relies on positions being dense.
    /// </summary>
    /// <returns>One result per append, in order; a retried batch returns the original results with <see cref="AppendResult.AlreadyAppended"/>.</returns>
    /// <exception cref="WrongExpectedVersionException">A stream is not at its expected version (the first such stream is reported).</exception>
    /// <exception cref="InvalidEventStoreArgumentException">A stream appears twice in the batch, or a bad argument.</exception>
    public async Task<IReadOnlyList<AppendResult>> AppendToStreamsAsync(IReadOnlyList<StreamAppend> appends, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(appends);
        if (appends.Count == 0)
        {
            return [];
        }

        var prepared = new List<PreparedAppend>(appends.Count);
        var seen = new HashSet<StreamName>();
        foreach (var append in appends)
        {
            if (!seen.Add(append.Stream))
            {
                throw new InvalidEventStoreArgumentException("appends", $"stream {append.Stream} appears twice in one batch; combine its events.");
            }

            prepared.Add(PrepareAppend(append.Stream, append.StreamType, append.ExpectedVersion, append.Events));
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        AppendRow[] rows;
        try
        {
            rows = await ExecuteMultiStreamAppendAsync(connection, transaction, prepared, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "events_event_id_key")
        {
            throw new DuplicateEventIdException(prepared[0].Stream.Tenant, "(batch)", "an event id of this batch is already stored in another append.");
        }

        // All or nothing: the first refused append throws, and the transaction is rolled back.
        var results = prepared.Select((append, i) => ToResult(append, rows[i].Outcome, rows[i].Version, rows[i].Positions)).ToList();
        await CommitWithInlineProjectionsAsync(connection, transaction, InlineEventsOf(prepared, rows), cancellationToken);
        if (results.Any(r => !r.AlreadyAppended))
        {
            _notifier.Signal();
        }

        return results;
    }

    /// <summary>
    /// Writes appends to different streams (the combiner's batch) in one transaction and one round trip, plus one for the
    /// inline projections' writes and the commit. Unlike <see cref="AppendToStreamsAsync"/>, each append stands on its
    /// own: one at a wrong expected version is refused while the others are written. Every stream is locked up front,
    /// in a fixed order, after the inline projections' lock, as a single append takes them.
    /// </summary>
    /// <returns>Per append, its result or the exception it meets alone. Throws when the transaction failed as a whole.</returns>
    private async Task<IReadOnlyList<Func<AppendResult>>> AppendTogetherAsync(IReadOnlyList<PreparedAppend> appends)
    {
        // Members were handed over already: the batch is written whole, whatever their callers do meanwhile.
        var cancellationToken = CancellationToken.None;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Without inline projections the batch is one implicit transaction: every statement or none.
        await using var transaction = Projections.HasInline ? await connection.BeginTransactionAsync(cancellationToken) : null;
        var rows = await ExecuteMultiStreamAppendAsync(connection, transaction, appends, cancellationToken);
        var outcomes = new Func<AppendResult>[appends.Count];
        for (var i = 0; i < appends.Count; i++)
        {
            try
            {
                var result = ToResult(appends[i], rows[i].Outcome, rows[i].Version, rows[i].Positions);
                outcomes[i] = () => result;
            }
            catch (Exception refused) when (refused is WrongExpectedVersionException or DuplicateEventIdException)
            {
                var captured = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(refused);
                outcomes[i] = () =>
                {
                    captured.Throw();
                    throw refused;
                };
            }
        }

        if (transaction is not null)
        {
            await CommitWithInlineProjectionsAsync(connection, transaction, InlineEventsOf(appends, rows), cancellationToken);
        }

        if (rows.Any(r => r.Outcome == 0))
        {
            _notifier.Signal();
        }

        return outcomes;
    }

    /// <summary>
    /// Runs a multi-stream append (<see cref="MultiStreamAppendBatch"/>) and reads each append's outcome, in order. The
    /// reader starts on the first lock's result; each append's result follows the streams' lock's.
    /// </summary>
    private async Task<AppendRow[]> ExecuteMultiStreamAppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<PreparedAppend> appends, CancellationToken cancellationToken)
    {
        await using var batch = MultiStreamAppendBatch(connection, transaction, appends);
        await PrepareAsync(batch, cancellationToken);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (Projections.HasInline)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        var rows = new AppendRow[appends.Count];
        for (var i = 0; i < appends.Count; i++)
        {
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            rows[i] = ReadOutcome(reader);
        }

        return rows;
    }

    /// <summary>The events the inline projections are to apply: those of the appends that were written.</summary>
    private List<RecordedEvent> InlineEventsOf(IReadOnlyList<PreparedAppend> appends, AppendRow[] rows)
    {
        var recorded = new List<RecordedEvent>();
        for (var i = 0; i < appends.Count; i++)
        {
            if (rows[i].Outcome == 0 && Projections.HasInline)
            {
                recorded.AddRange(ToRecorded(appends[i], rows[i].Version, rows[i].Positions!, rows[i].TransactionId, rows[i].RecordedAt));
            }
        }

        return recorded;
    }

    /// <summary>Applies <paramref name="recorded"/> to the inline projections and commits, with their writes when it can.</summary>
    private async Task CommitWithInlineProjectionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<RecordedEvent> recorded, CancellationToken cancellationToken)
    {
        if (recorded.Count == 0 || !await Projections.ApplyInlineAsync(connection, transaction, recorded, commit: true, cancellationToken))
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The batch of a multi-stream append: the inline projections' lock (when there are any) and every stream's, before
    /// any write and in the order a single append takes them, then one <c>append_events</c> per append.
    /// </summary>
    private NpgsqlBatch MultiStreamAppendBatch(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<PreparedAppend> appends)
    {
        var batch = new NpgsqlBatch(connection, transaction);
        if (Projections.HasInline)
        {
            batch.BatchCommands.Add(InlineLockCommand());
        }

        batch.BatchCommands.Add(LockStreamsCommand(appends));
        foreach (var append in appends)
        {
            batch.BatchCommands.Add(CreateAppendCommand(append));
        }

        return batch;
    }

    /// <summary>
    /// Inline projections are rebuilt under this lock held exclusively; appenders hold it shared, taken before their
    /// first write so that a waiting appender holds no transaction id back.
    /// </summary>
    private NpgsqlBatchCommand InlineLockCommand()
    {
        var command = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock_shared($1)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _inlineLockKey });
        return command;
    }

    /// <summary>One row of <c>append_events</c>' result (the reader is on it).</summary>
    private static AppendRow ReadOutcome(NpgsqlDataReader reader)
    {
        var outcome = reader.GetInt16(0);
        return new(outcome, reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<long[]>(2),
            outcome == 0 ? reader.GetFieldValue<ulong>(3) : 0, outcome == 0 ? reader.GetDateTime(4) : default);
    }

    /// <summary>What <c>append_events</c> answered for one append; the transaction and instant only when it was written (outcome 0).</summary>
    private readonly record struct AppendRow(short Outcome, long Version, long[]? Positions, ulong TransactionId, DateTime RecordedAt);

    /// <summary>Locks the streams of <paramref name="appends"/>, each once, in a fixed order (so no two batches deadlock).</summary>
    private NpgsqlBatchCommand LockStreamsCommand(IReadOnlyList<PreparedAppend> appends)
    {
        var command = new NpgsqlBatchCommand(
            $"SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT {_schema}.stream_lock_key(t, s) AS k FROM unnest($1::text[], $2::text[]) AS x(t, s) ORDER BY 1) l");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = appends.Select(p => p.Stream.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = appends.Select(p => p.Stream.Id).ToArray() });
        return command;
    }

    private PreparedAppend PrepareAppend(
        StreamName stream, string streamType, ExpectedVersion expectedVersion, IReadOnlyList<NewEvent> events)
    {
        stream.Validate();
        if (string.IsNullOrWhiteSpace(streamType) || streamType.Length > 100)
        {
            throw new InvalidEventStoreArgumentException(nameof(streamType), "must be 1–100 characters.");
        }

        if (events is null || events.Count == 0)
        {
            throw new InvalidEventStoreArgumentException(nameof(events), "an append needs at least one event.");
        }

        if (events.Count > _options.MaxEventsPerAppend)
        {
            throw new InvalidEventStoreArgumentException(
                nameof(events), $"{events.Count} events in one append; at most {_options.MaxEventsPerAppend} are allowed.");
        }

        var ids = new Guid[events.Count];
        var types = new string[events.Count];
        var data = new string[events.Count];
        var metadata = new string[events.Count];
        var seen = new HashSet<Guid>();
        for (var i = 0; i < events.Count; i++)
        {
            var newEvent = events[i] ?? throw new InvalidEventStoreArgumentException($"events[{i}]", "must not be null.");
            if (newEvent.EventId == Guid.Empty)
            {
                throw new InvalidEventStoreArgumentException($"events[{i}].eventId", "must not be the empty GUID.");
            }

            if (!seen.Add(newEvent.EventId))
            {
                throw new InvalidEventStoreArgumentException($"events[{i}].eventId", $"{newEvent.EventId} appears twice in one append.");
            }

            if (newEvent.Metadata is null)
            {
                throw new InvalidEventStoreArgumentException($"events[{i}].metadata", "every event needs metadata (at least the actor).");
            }

            if (string.IsNullOrWhiteSpace(newEvent.Metadata.ActorId) || string.IsNullOrWhiteSpace(newEvent.Metadata.ActorRole))
            {
                throw new InvalidEventStoreArgumentException($"events[{i}].metadata", "actor id and actor role are required.");
            }

            var (typeName, json) = Serializer.SerializeData(newEvent.Data);
            var metadataJson = Serializer.SerializeMetadata(newEvent.Metadata);
            var size = Encoding.UTF8.GetByteCount(json) + Encoding.UTF8.GetByteCount(metadataJson);
            if (size > _options.MaxEventSizeBytes)
            {
                throw new EventTooLargeException(stream.Tenant, stream.Id, typeName, size, _options.MaxEventSizeBytes);
            }

            ids[i] = newEvent.EventId;
            types[i] = typeName;
            data[i] = json;
            metadata[i] = metadataJson;
        }

        return new PreparedAppend(stream, streamType, expectedVersion, ids, types, data, metadata, events);
    }

    /// <summary>
    /// Runs one append (and the inline projections) in <paramref name="transaction"/>. With <paramref name="commit"/>,
    /// the transaction is the store's own and may be committed with the projections' writes: Committed says whether it was.
    /// </summary>
    private async Task<(AppendResult Result, bool Committed)> ExecuteAppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, PreparedAppend append, bool commit, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (Projections.HasInline)
        {
            batch.BatchCommands.Add(InlineLockCommand());
        }

        var command = CreateAppendCommand(append);
        batch.BatchCommands.Add(command);

        AppendRow row;
        await PrepareAsync(batch, cancellationToken);
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            if (Projections.HasInline)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException("append_events returned no row.");
            }

            row = ReadOutcome(reader);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "events_event_id_key")
        {
            throw new DuplicateEventIdException(append.Stream.Tenant, append.Stream.Id, "an event id of this append is already stored in another append.");
        }

        var result = ToResult(append, row.Outcome, row.Version, row.Positions);
        var committed = row.Outcome == 0 && Projections.HasInline
            && await Projections.ApplyInlineAsync(connection, transaction, ToRecorded(append, row.Version, row.Positions!, row.TransactionId, row.RecordedAt), commit, cancellationToken);
        return (result, committed);
    }

    private NpgsqlBatchCommand CreateAppendCommand(PreparedAppend append)
    {
        var command = new NpgsqlBatchCommand(_appendSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = append.Stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = append.Stream.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = append.StreamType });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = append.Expected.Value });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = append.EventIds });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = append.Types });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = append.Data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = append.Metadata, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        return command;
    }

    private static AppendResult ToResult(PreparedAppend append, short outcome, long version, long[]? positions) => outcome switch
    {
        0 => new AppendResult(append.Stream, version, positions!, AlreadyAppended: false),
        1 => new AppendResult(append.Stream, version, positions!, AlreadyAppended: true),
        2 => throw new WrongExpectedVersionException(append.Stream.Tenant, append.Stream.Id, append.Expected, version),
        3 => throw new DuplicateEventIdException(
            append.Stream.Tenant,
            append.Stream.Id,
            $"{version} of its {append.EventIds.Length} event ids are stored, not all of them in this stream."),
        _ => throw new InvalidOperationException($"append_events returned unknown outcome {outcome}."),
    };

    private static RecordedEvent[] ToRecorded(PreparedAppend append, long version, long[] positions, ulong transactionId, DateTime recordedAt)
    {
        var recorded = new RecordedEvent[append.EventIds.Length];
        var firstVersion = version - append.EventIds.Length;
        var at = Instant.FromDateTimeUtc(DateTime.SpecifyKind(recordedAt, DateTimeKind.Utc));
        for (var i = 0; i < recorded.Length; i++)
        {
            var source = append.Events[i];
            recorded[i] = new RecordedEvent(
                positions[i], transactionId, append.Stream, firstVersion + i + 1, source.EventId, append.Types[i], append.Types[i], source.Data, source.Metadata, at);
        }

        return recorded;
    }

    /// <summary>
    /// The ids of the events of each of <paramref name="streams"/>, in stream order, in one statement; a stream with no
    /// events is absent from the answer. For writers that derive their event ids (an importer) to see, before they
    /// append, how much of what they would write is stored already.
    /// </summary>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name.</exception>
    public async Task<IReadOnlyDictionary<StreamName, IReadOnlyList<Guid>>> ReadEventIdsAsync(IReadOnlyCollection<StreamName> streams, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(streams);
        foreach (var stream in streams)
        {
            stream.Validate();
        }

        var ids = new Dictionary<StreamName, IReadOnlyList<Guid>>();
        if (streams.Count == 0)
        {
            return ids;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = StreamsReadBatch(connection, "e.tenant_id, e.stream_id, e.event_id", streams.Distinct().ToList());
        await PrepareAsync(batch, cancellationToken);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        List<Guid>? current = null;
        var currentStream = default(StreamName);
        while (await reader.ReadAsync(cancellationToken))
        {
            var stream = new StreamName(reader.GetString(0), reader.GetString(1));
            if (current is null || stream != currentStream)
            {
                current = [];
                currentStream = stream;
                ids[stream] = current;
            }

            current.Add(reader.GetGuid(2));
        }

        return ids;
    }

    /// <summary>What the store knows about <paramref name="stream"/>, or null when it has no events.</summary>
    public async Task<StreamInfo?> GetStreamInfoAsync(StreamName stream, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT stream_type, version, created_at, updated_at, archived, head_hash FROM {_schema}.streams WHERE tenant_id = $1 AND stream_id = $2",
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        await PrepareAsync(command, cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StreamInfo(
            stream,
            reader.GetString(0),
            reader.GetInt64(1),
            Instant.FromDateTimeUtc(reader.GetDateTime(2)),
            Instant.FromDateTimeUtc(reader.GetDateTime(3)),
            reader.GetBoolean(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5));
    }

    /// <summary>
    /// The current versions of <paramref name="streams"/>, in one indexed lookup: for a cache of what those streams fold
    /// to (reference data), to check at every use that none moved. A stream that does not exist is absent from the answer.
    /// Like the other lookups by key, it never reads more than its keys, whatever plan PostgreSQL cached while the table
    /// was small (decisions 0013, 0014): the streams table grows with every new stream.
    /// </summary>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name.</exception>
    public async Task<IReadOnlyDictionary<StreamName, long>> ReadStreamVersionsAsync(IReadOnlyCollection<StreamName> streams, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(streams);
        foreach (var stream in streams)
        {
            stream.Validate();
        }

        var versions = new Dictionary<StreamName, long>(streams.Count);
        if (streams.Count == 0)
        {
            return versions;
        }

        var distinct = streams.Distinct().ToList();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(KeyLookups.BatchCommand());
        var command = new NpgsqlBatchCommand(
            $"""
             SELECT s.tenant_id, s.stream_id, s.version
               FROM unnest($1::text[], $2::text[]) AS k(tenant_id, stream_id)
               JOIN {_schema}.streams s ON s.tenant_id = k.tenant_id AND s.stream_id = k.stream_id
             """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = distinct.Select(s => s.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = distinct.Select(s => s.Id).ToArray() });
        batch.BatchCommands.Add(command);
        await PrepareAsync(batch, cancellationToken);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions[new StreamName(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return versions;
    }

    /// <summary>The earliest instant a <see cref="DateTime"/> (and so a recorded-at read back) holds.</summary>
    internal static readonly Instant MinRecordable = Instant.FromDateTimeUtc(DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc));

    /// <summary>The latest instant a <see cref="DateTime"/> holds.</summary>
    internal static readonly Instant MaxRecordable = Instant.FromDateTimeUtc(DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc));

    /// <summary>
    /// Reads events of <paramref name="stream"/>: all of them, or a slice (from/up to a version, up to an instant,
    /// backward, at most N). An empty result means the stream has no events in that slice (or does not exist).
    /// </summary>
    /// <exception cref="UnknownEventTypeException">A stored event's type is neither registered nor upcastable.</exception>
    public async IAsyncEnumerable<RecordedEvent> ReadStreamAsync(
        StreamName stream,
        ReadStreamOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        stream.Validate();
        options ??= ReadStreamOptions.All;
        options.Validate();
        // Nothing is recorded before the year 1 (the store's clock wrote every recorded-at), and PostgreSQL is asked in
        // DateTime's range: an instant beyond it is the whole stream.
        if (options.MaxCount == 0 || options.UpTo < MinRecordable)
        {
            yield break;
        }

        // A handful of fixed texts (direction × up-to-instant), so each is prepared once per connection; the limit is a
        // parameter for the same reason.
        var sql = new StringBuilder()
            .Append("SELECT ").Append(_readStreamColumns).Append(" FROM ").Append(_schema).Append(".events")
            .Append(" WHERE tenant_id = $1 AND stream_id = $2 AND stream_version BETWEEN $3 AND $4");
        if (options.UpTo is not null)
        {
            // The stream as it was: the longest prefix recorded by then. recorded_at is the database clock, taken per
            // append; a clock stepped back between two appends would otherwise let a later event in without one before it.
            sql.Append(" AND stream_version < coalesce((SELECT min(l.stream_version) FROM ").Append(_schema)
                .Append(".events l WHERE l.tenant_id = $1 AND l.stream_id = $2 AND l.recorded_at > $6), 9223372036854775807)");
        }

        sql.Append(" ORDER BY stream_version").Append(options.Direction == ReadDirection.Backward ? " DESC" : string.Empty).Append(" LIMIT $5");

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql.ToString(), connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.FromVersion });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = options.ToVersion });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.MaxCount });
        if (options.UpTo is { } upTo)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = upTo >= MaxRecordable ? DateTime.MaxValue : upTo.ToDateTimeUtc() });
        }

        await PrepareAsync(command, cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadEvent(reader);
        }
    }

    /// <summary>
    /// The statement reading every event of <paramref name="stream"/>, in version order, for a caller's batch (a stream
    /// rebuild reads them with the locks it takes, in one round trip); <see cref="ReadStreamEventsAsync"/> reads its
    /// result. The metadata column is left out unless <paramref name="withMetadata"/>, as for projections that do not read it.
    /// </summary>
    internal NpgsqlBatchCommand ReadStreamCommand(StreamName stream, bool withMetadata)
    {
        var command = new NpgsqlBatchCommand(
            $"SELECT {(withMetadata ? _readStreamColumns : _readLogColumnsWithoutMetadata)} FROM {_schema}.events WHERE tenant_id = $1 AND stream_id = $2 ORDER BY stream_version");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        return command;
    }

    /// <summary>The events of a <see cref="ReadStreamCommand"/>'s result set (the reader is on it).</summary>
    internal async Task<RecordedEvent[]> ReadStreamEventsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var raw = new List<RawEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            raw.Add(ReadRaw(reader));
        }

        return Materialize(raw);
    }

    /// <summary>
    /// A batch reading <paramref name="columns"/> (of <c>events e</c>) of every event of <paramref name="streams"/>, in
    /// stream and version order. Each stream is looked up through its key, in a log that an import makes grow fast
    /// (decisions 0013, 0014); the batch is one implicit transaction, which the settings do not outlive.
    /// </summary>
    private NpgsqlBatch StreamsReadBatch(NpgsqlConnection connection, string columns, IReadOnlyList<StreamName> streams)
    {
        var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(KeyLookups.BatchCommand());
        var command = new NpgsqlBatchCommand(
            $"""
             SELECT {columns}
               FROM unnest($1::text[], $2::text[]) AS s(tenant_id, stream_id)
               JOIN {_schema}.events e ON e.tenant_id = s.tenant_id AND e.stream_id = s.stream_id
              ORDER BY e.tenant_id, e.stream_id, e.stream_version
             """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams.Select(s => s.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = streams.Select(s => s.Id).ToArray() });
        batch.BatchCommands.Add(command);
        return batch;
    }

    /// <summary>The most streams <see cref="ReadStreamsAsync"/> reads in one call.</summary>
    public const int MaxStreamsPerRead = 1000;

    /// <summary>
    /// Reads every event of each of <paramref name="streams"/>, in one statement instead of one per stream: for a page
    /// that shows many streams (a list of cases with their histories). Each stream's events are in version order; a
    /// stream with no events is absent from the answer.
    /// </summary>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name, or more than <see cref="MaxStreamsPerRead"/> distinct streams.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is neither registered nor upcastable.</exception>
    public async Task<IReadOnlyDictionary<StreamName, IReadOnlyList<RecordedEvent>>> ReadStreamsAsync(IReadOnlyCollection<StreamName> streams, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(streams);
        foreach (var stream in streams)
        {
            stream.Validate();
        }

        var distinct = streams.Distinct().ToList();
        if (distinct.Count > MaxStreamsPerRead)
        {
            throw new InvalidEventStoreArgumentException(nameof(streams), $"must name at most {MaxStreamsPerRead} streams (it names {distinct.Count}).");
        }

        var read = new Dictionary<StreamName, IReadOnlyList<RecordedEvent>>();
        if (distinct.Count == 0)
        {
            return read;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = StreamsReadBatch(connection, _qualifiedReadStreamColumns, distinct);
        await PrepareAsync(batch, cancellationToken);
        var raw = new List<RawEvent>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                raw.Add(ReadRaw(reader));
            }
        }

        List<RecordedEvent>? current = null;
        foreach (var recorded in Materialize(raw))
        {
            if (current is null || recorded.Stream != current[0].Stream)
            {
                current = [];
                read[recorded.Stream] = current;
            }

            current.Add(recorded);
        }

        return read;
    }

    /// <summary>
    /// Reads the latest snapshot of <paramref name="kind"/> of <paramref name="stream"/>, if there is one, and the events
    /// after it (all events when there is none), in one statement: the events read always follow the snapshot read.
    /// </summary>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name or kind.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is neither registered nor upcastable.</exception>
    public async Task<SnapshotAndEvents> ReadStreamFromSnapshotAsync(StreamName stream, string kind, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        ValidateSnapshotKind(kind);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = await SnapshotReadAsync(connection, _readFromSnapshotSql, stream, kind, cancellationToken);
        StreamSnapshot? snapshot = null;
        var events = new List<RecordedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt32(11) == 0)
            {
                snapshot = new StreamSnapshot(kind, reader.GetInt64(4), reader.GetFieldValue<byte[]>(7));
                continue;
            }

            events.Add(ReadEvent(reader));
        }

        // The statement returns them in order already; sorting a handful of events costs nothing and relies on nothing.
        events.Sort(static (a, b) => a.StreamVersion.CompareTo(b.StreamVersion));
        return new SnapshotAndEvents(snapshot, events);
    }

    /// <summary>
    /// Like <see cref="ReadStreamFromSnapshotAsync"/>, for a fold: reads the latest snapshot of <paramref name="kind"/>
    /// of <paramref name="stream"/> and the events after it, but of each event only its version, type and data, not its
    /// metadata, ids or hash. Cheaper, for the loads that only decide (a command without an idempotency key).
    /// </summary>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name or kind.</exception>
    /// <exception cref="UnknownEventTypeException">A stored event's type is neither registered nor upcastable.</exception>
    public async Task<SnapshotAndEventData> ReadStreamDataFromSnapshotAsync(StreamName stream, string kind, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        ValidateSnapshotKind(kind);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = await SnapshotReadAsync(connection, _readDataFromSnapshotSql, stream, kind, cancellationToken);
        StreamSnapshot? snapshot = null;
        var events = new List<StreamEventData>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsDBNull(0))
            {
                snapshot = new StreamSnapshot(kind, reader.GetInt64(1), reader.GetFieldValue<byte[]>(3));
                continue;
            }

            var position = reader.GetInt64(0);
            var storedType = reader.GetString(2);
            var (typeName, data) = Serializer.DeserializeData(storedType, reader.GetFieldValue<byte[]>(3), position);
            events.Add(new StreamEventData(position, reader.GetInt64(1), typeName, data));
        }

        events.Sort(static (a, b) => a.StreamVersion.CompareTo(b.StreamVersion));
        return new SnapshotAndEventData(snapshot, events);
    }

    /// <summary>One of the snapshot reads, prepared: the statement takes the tenant, stream id and kind (checked already).</summary>
    private async Task<NpgsqlCommand> SnapshotReadAsync(NpgsqlConnection connection, string sql, StreamName stream, string kind, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        await PrepareAsync(command, cancellationToken);
        return command;
    }

    /// <summary>
    /// Stores <paramref name="utf8State"/> as the snapshot of <paramref name="kind"/> of <paramref name="stream"/> at
    /// <paramref name="version"/>, unless a snapshot of a later version is stored already. The write commits
    /// asynchronously (a snapshot is a cache of what the durable events say: losing one in a crash costs only a
    /// longer load). The caller vouches that the state is the fold of the stream's first <paramref name="version"/>
    /// events. A snapshot must not hold personal data: erasure (crypto-shredding, a later issue) will reach the
    /// events, never snapshots.
    /// </summary>
    /// <returns>True when stored; false when a later snapshot was there already.</returns>
    /// <exception cref="InvalidEventStoreArgumentException">A bad stream name, kind, version or state.</exception>
    public async Task<bool> SaveSnapshotAsync(StreamName stream, string kind, long version, ReadOnlyMemory<byte> utf8State, CancellationToken cancellationToken = default)
    {
        stream.Validate();
        ValidateSnapshotKind(kind);
        if (version < 1)
        {
            throw new InvalidEventStoreArgumentException(nameof(version), "a snapshot is taken after at least one event.");
        }

        if (utf8State.IsEmpty || utf8State.Length > _options.MaxEventSizeBytes)
        {
            throw new InvalidEventStoreArgumentException(nameof(utf8State), $"must be a JSON document of 1 to {_options.MaxEventSizeBytes} bytes.");
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(AsynchronousCommit.BatchCommand());
        var upsert = new NpgsqlBatchCommand(
            $"""
             INSERT INTO {_schema}.snapshots AS s (tenant_id, stream_id, kind, version, state, taken_at)
             VALUES ($1, $2, $3, $4, $5, now())
             ON CONFLICT (tenant_id, stream_id, kind) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state, taken_at = EXCLUDED.taken_at
              WHERE s.version < EXCLUDED.version
             """);
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
        upsert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = utf8State.ToArray(), NpgsqlDbType = NpgsqlDbType.Jsonb });
        batch.BatchCommands.Add(upsert);
        await PrepareAsync(batch, cancellationToken);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return upsert.RecordsAffected == 1;
    }

    private static void ValidateSnapshotKind(string kind)
    {
        if (string.IsNullOrWhiteSpace(kind) || kind.Length > 100)
        {
            throw new InvalidEventStoreArgumentException(nameof(kind), "a snapshot kind is 1–100 characters.");
        }
    }

    /// <summary>
    /// Reads up to <paramref name="maxCount"/> events of the global log after <paramref name="after"/>, in log order,
    /// optionally only those of <paramref name="eventTypes"/> (stored names).
    /// </summary>
    /// <remarks>
    /// Only events written by transactions older than every transaction still running are returned, in
    /// (transaction id, position) order. Such a prefix of the log can never grow behind the reader: a transaction
    /// that commits later has a younger id, so it sorts after the checkpoint. That is why no event is ever skipped,
    /// with no gap timeouts. The price: a long-running write transaction anywhere on the cluster holds readers back
    /// (they wait, they do not skip).
    /// </remarks>
    public Task<LogBatch> ReadLogAsync(
        LogPosition after,
        int maxCount,
        IReadOnlyCollection<string>? eventTypes = null,
        CancellationToken cancellationToken = default) =>
        ReadLogCoreAsync(null, after, maxCount, eventTypes, null, withMetadata: true, cancellationToken);

    /// <summary>
    /// Reads the log like <see cref="ReadLogAsync(LogPosition, int, IReadOnlyCollection{string}?, CancellationToken)"/>, on the caller's connection, keeping only events for which
    /// <paramref name="include"/> returns true for the stored type name. Rows left out are not deserialized, but the
    /// checkpoint moves past them: the way a projection that handles a few types reads a log of many.
    /// </summary>
    public Task<LogBatch> ReadLogAsync(
        NpgsqlConnection connection,
        LogPosition after,
        int maxCount,
        Func<string, bool> include,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(include);
        return ReadLogCoreAsync(connection, after, maxCount, null, include, withMetadata: true, cancellationToken);
    }

    /// <summary>
    /// Reads the log for projections: like <see cref="ReadLogAsync(NpgsqlConnection, LogPosition, int, Func{string, bool}, CancellationToken)"/>,
    /// leaving out the metadata column unless <paramref name="withMetadata"/> (see <see cref="Projection.ReadsMetadata"/>).
    /// </summary>
    internal Task<LogBatch> ReadLogAsync(
        NpgsqlConnection connection, LogPosition after, int maxCount, Func<string, bool> include, bool withMetadata, CancellationToken cancellationToken) =>
        ReadLogCoreAsync(connection, after, maxCount, null, include, withMetadata, cancellationToken);

    private async Task<LogBatch> ReadLogCoreAsync(
        NpgsqlConnection? connection,
        LogPosition after,
        int maxCount,
        IReadOnlyCollection<string>? eventTypes,
        Func<string, bool>? include,
        bool withMetadata,
        CancellationToken cancellationToken) =>
        Materialize(await ReadRawLogAsync(connection, after, maxCount, eventTypes, include, withMetadata, cancellationToken));

    /// <summary>
    /// Reads a log batch like <see cref="ReadLogAsync(NpgsqlConnection, LogPosition, int, Func{string, bool}, CancellationToken)"/>
    /// without deserializing it: a rebuild asks for the next batch as soon as this one has arrived, and deserializes
    /// it (<see cref="Materialize(RawLogBatch)"/>) while the server works on the next.
    /// </summary>
    internal Task<RawLogBatch> ReadRawLogAsync(
        NpgsqlConnection connection, LogPosition after, int maxCount, Func<string, bool> include, bool withMetadata, CancellationToken cancellationToken) =>
        ReadRawLogAsync(connection, after, maxCount, null, include, withMetadata, cancellationToken);

    /// <summary>Deserializes a raw batch.</summary>
    internal LogBatch Materialize(RawLogBatch batch) => new(Materialize(batch.Rows), batch.Checkpoint, batch.RowsRead);

    private async Task<RawLogBatch> ReadRawLogAsync(
        NpgsqlConnection? connection,
        LogPosition after,
        int maxCount,
        IReadOnlyCollection<string>? eventTypes,
        Func<string, bool>? include,
        bool withMetadata,
        CancellationToken cancellationToken)
    {
        if (maxCount < 1)
        {
            throw new InvalidEventStoreArgumentException(nameof(maxCount), "must be at least 1.");
        }

        var typeFilter = eventTypes is { Count: > 0 } ? eventTypes.ToArray() : null;
        var sql = new StringBuilder()
            .Append("SELECT ").Append(withMetadata ? _readStreamColumns : _readLogColumnsWithoutMetadata).Append(" FROM ").Append(_schema).Append(".events")
            .Append(" WHERE (transaction_id, position) > ($1::xid8, $2)")
            // Evaluated once per statement (an InitPlan), not once per row.
            .Append(" AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))");
        if (typeFilter is not null)
        {
            sql.Append(typeFilter.Length == 1 ? " AND event_type = $4" : " AND event_type = ANY($4)");
        }

        sql.Append(" ORDER BY transaction_id, position LIMIT $3");

        await using var command = connection is null ? _dataSource.CreateCommand(sql.ToString()) : new NpgsqlCommand(sql.ToString(), connection);
        command.Parameters.Add(new NpgsqlParameter<ulong> { TypedValue = after.TransactionId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after.Position });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxCount });
        if (typeFilter is { Length: 1 })
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = typeFilter[0] });
        }
        else if (typeFilter is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = typeFilter });
        }

        var raw = new List<RawEvent>(Math.Min(maxCount, 1024));
        var checkpoint = after;
        var rows = 0;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows++;
                checkpoint = new LogPosition(reader.GetFieldValue<ulong>(1), reader.GetInt64(0));
                var storedType = reader.GetString(6);
                if (include is null || include(storedType))
                {
                    raw.Add(ReadRaw(reader, storedType));
                }
            }
        }

        return new RawLogBatch(raw, checkpoint, rows);
    }

    /// <summary>A log batch as read, not yet deserialized.</summary>
    internal sealed record RawLogBatch(List<RawEvent> Rows, LogPosition Checkpoint, int RowsRead);

    /// <summary>
    /// Deserializes raw rows into events. Deserialization is most of the cost of reading the log, so large batches
    /// (rebuilds, catching up) are spread over every core; the order of the result is the order of the rows.
    /// </summary>
    private RecordedEvent[] Materialize(List<RawEvent> raw)
    {
        var events = new RecordedEvent[raw.Count];
        if (raw.Count < 256)
        {
            for (var i = 0; i < raw.Count; i++)
            {
                events[i] = Materialize(raw[i]);
            }
        }
        else
        {
            try
            {
                Parallel.For(0, raw.Count, i => events[i] = Materialize(raw[i]));
            }
            catch (AggregateException)
            {
                // Fail as a sequential read does: with the first unreadable event in log order and its own exception
                // (a JsonException naming the event), not with an aggregate of whichever rows the cores reached first.
                for (var i = 0; i < raw.Count; i++)
                {
                    events[i] ??= Materialize(raw[i]);
                }

                throw;
            }
        }

        return events;
    }

    /// <summary>Every read of events (stream or log) builds them here, so all carry the same fields.</summary>
    internal RecordedEvent Materialize(RawEvent raw)
    {
        var (typeName, data) = Serializer.DeserializeData(raw.StoredType, raw.Data, raw.Position);
        return RecordedEvent.WithStoredMetadata(
            raw.Position,
            raw.TransactionId,
            new StreamName(raw.Tenant, raw.StreamId),
            raw.StreamVersion,
            raw.EventId,
            typeName,
            raw.StoredType,
            data,
            raw.Metadata,
            Serializer,
            Instant.FromDateTimeUtc(raw.RecordedAt),
            // A value of the wrong length (only a tampered row has one) is no hash; the verifier reports the row.
            raw.Hash is { Length: Auditing.AuditHash.Length } hash ? Auditing.AuditHash.FromBytes(hash) : null);
    }

    /// <summary>
    /// A row of <see cref="_readStreamColumns"/>, not yet deserialized. The JSON documents stay UTF-8 bytes, as they
    /// arrive: reading them as strings would transcode each to UTF-16 and the deserializer straight back. A log read
    /// passes the stored type it has already read for its filter, so that it is not read (and allocated) again.
    /// </summary>
    private static RawEvent ReadRaw(NpgsqlDataReader reader, string? storedType = null) => new(
        reader.GetInt64(0), reader.GetFieldValue<ulong>(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
        reader.GetGuid(5), storedType ?? reader.GetString(6), reader.GetFieldValue<byte[]>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<byte[]>(8), reader.GetDateTime(9),
        reader.IsDBNull(10) ? null : reader.GetFieldValue<byte[]>(10));

    internal sealed record RawEvent(
        long Position, ulong TransactionId, string Tenant, string StreamId, long StreamVersion, Guid EventId, string StoredType, byte[] Data, byte[]? Metadata, DateTime RecordedAt, byte[]? Hash);

    /// <summary>
    /// Follows the global log from <paramref name="after"/> for as long as the caller enumerates: reads in batches,
    /// and when caught up waits for an append's NOTIFY (or <paramref name="pollInterval"/>, whichever comes first).
    /// </summary>
    public async IAsyncEnumerable<RecordedEvent> FollowLogAsync(
        LogPosition after,
        int batchSize = 500,
        IReadOnlyCollection<string>? eventTypes = null,
        TimeSpan? pollInterval = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var interval = pollInterval ?? TimeSpan.FromSeconds(1);
        await using var listener = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {_options.NotificationChannel}", listener))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        var checkpoint = after;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = await ReadLogAsync(checkpoint, batchSize, eventTypes, cancellationToken);
            foreach (var recorded in batch.Events)
            {
                yield return recorded;
            }

            checkpoint = batch.Checkpoint;
            if (batch.RowsRead < batchSize)
            {
                // Caught up: sleep until an append commits (NOTIFY) or the poll interval passes. Polling covers
                // events held back by an unrelated long transaction, whose end sends no notification.
                await listener.WaitAsync(interval, cancellationToken);
            }
        }
    }

    /// <summary>The highest position drawn so far (0 for an empty log). Events below it may still be in flight.</summary>
    public async Task<long> GetHighestPositionAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT coalesce(max(position), 0) FROM {_schema}.events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Prepares the store's fixed statements (appends, stream reads) on the connection they run on, when
    /// <see cref="EventStoreOptions.PrepareStatements"/> is on. Npgsql keeps a prepared statement with the physical
    /// connection across pool returns, so only the first use on a connection costs a round trip; every later one skips
    /// PostgreSQL's parse and plan, which is a large share of a short read's or a single-event append's time.
    /// Log reads are never prepared: their best plan depends on where the checkpoint is.
    /// </summary>
    private Task PrepareAsync(NpgsqlCommand command, CancellationToken cancellationToken) =>
        _options.PrepareStatements ? command.PrepareAsync(cancellationToken) : Task.CompletedTask;

    private Task PrepareAsync(NpgsqlBatch batch, CancellationToken cancellationToken) =>
        _options.PrepareStatements ? batch.PrepareAsync(cancellationToken) : Task.CompletedTask;

    private RecordedEvent ReadEvent(NpgsqlDataReader reader) => Materialize(ReadRaw(reader));

    private sealed record PreparedAppend(
        StreamName Stream,
        string StreamType,
        ExpectedVersion Expected,
        Guid[] EventIds,
        string[] Types,
        string[] Data,
        string[] Metadata,
        IReadOnlyList<NewEvent> Events);
}
