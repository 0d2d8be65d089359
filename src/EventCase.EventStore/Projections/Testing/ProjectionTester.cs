using System.Runtime.ExceptionServices;
using System.Text.Json;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using Npgsql;

namespace EventCase.EventStore.Projections.Testing;

/// <summary>
/// Tests a projection against a real PostgreSQL database through the same code the daemon runs: append events,
/// catch the projection up (or rebuild it), then read its rows. Give each tester its own database or schema.
/// Where the daemon would stop a projection that fails (recording the event and the error, see
/// <see cref="ProjectionStatus.Failure"/>), the tester records it the same way and then throws a
/// <see cref="ProjectionFailedException"/>, so a test cannot miss it.
/// </summary>
/// <example>
/// <code>
/// var tester = await ProjectionTester.CreateAsync(dataSource, registry, new OpenCasesPerWard());
/// await tester.AppendAsync(new StreamName("boston", "case-1"), new CaseOpened(...));
/// await tester.CatchUpAsync();
/// var rows = await tester.RowsAsync&lt;WardRow&gt;();
/// </code>
/// </example>
public sealed class ProjectionTester
{
    private readonly ProjectionWorker _worker;

    private ProjectionTester(PostgresEventStore store, ProjectionWorker worker)
    {
        Store = store;
        _worker = worker;
    }

    /// <summary>The store the tester appends to (with the projection registered).</summary>
    public PostgresEventStore Store { get; }

    /// <summary>The projection under test.</summary>
    public Projection Projection => _worker.Runner.Projection;

    /// <summary>The metadata <see cref="AppendAsync(StreamName, object[])"/> stamps on events.</summary>
    public EventMetadata DefaultMetadata { get; set; } = new("tester", "agent", "test-correlation");

    /// <summary>Creates the store (schema <paramref name="schema"/>), migrates it and registers the projection.</summary>
    public static async Task<ProjectionTester> CreateAsync(
        NpgsqlDataSource dataSource, EventTypeRegistry registry, Projection projection, string schema = "eventcase", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projection);
        var store = new PostgresEventStore(dataSource, new EventSerializer(registry), new EventStoreOptions { Schema = schema }, [projection]);
        await store.MigrateAsync(cancellationToken);
        var runner = store.Projections.Runners.Single();
        return new ProjectionTester(store, new ProjectionWorker(store, runner, new ProjectionDaemonOptions { NodeId = "tester" }));
    }

    /// <summary>
    /// Creates one store (schema <paramref name="schema"/>) with every one of <paramref name="projections"/> registered,
    /// migrates it, and returns a tester for each projection, in the same order; they share <see cref="Store"/>, so
    /// they can be rebuilt together with <see cref="RebuildTogetherAsync"/>.
    /// </summary>
    public static async Task<IReadOnlyList<ProjectionTester>> CreateManyAsync(
        NpgsqlDataSource dataSource, EventTypeRegistry registry, IReadOnlyList<Projection> projections, string schema = "eventcase", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projections);
        if (projections.Count == 0)
        {
            throw new ArgumentException("At least one projection is needed.", nameof(projections));
        }

        var store = new PostgresEventStore(dataSource, new EventSerializer(registry), new EventStoreOptions { Schema = schema }, projections);
        await store.MigrateAsync(cancellationToken);
        var options = new ProjectionDaemonOptions { NodeId = "tester" };
        return store.Projections.Runners.Select(runner => new ProjectionTester(store, new ProjectionWorker(store, runner, options))).ToList();
    }

    /// <summary>
    /// Rebuilds the testers' projections now in one pass over the log (each event read and deserialized once, folded
    /// into every projection that handles it), each into its shadow tables, then swaps each one in, as the daemon does
    /// when several projections need a rebuild at once, from every event appended before the call. As in the daemon,
    /// a projection that fails does not stop the others: the pass goes on, every other projection is rebuilt and
    /// swapped in, and each failed one is recorded as failed. Then, when any failed, this throws an
    /// <see cref="AggregateException"/> holding one <see cref="ProjectionFailedException"/> per failed projection, in
    /// the order of <paramref name="testers"/>.
    /// </summary>
    /// <param name="testers">Testers of distinct projections made by one <see cref="CreateManyAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the rebuild.</param>
    /// <exception cref="ArgumentException">The testers do not share a store, or one projection is named twice.</exception>
    /// <exception cref="AggregateException">One or more projections failed (and only they); its
    /// <see cref="AggregateException.InnerExceptions"/> are their <see cref="ProjectionFailedException"/>s, each naming the
    /// projection, the event it failed on (position and type) and, as its inner exception, the error.</exception>
    public static async Task RebuildTogetherAsync(IReadOnlyList<ProjectionTester> testers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testers);
        if (testers.Count == 0)
        {
            return;
        }

        await using var connection = await testers[0].Store.DataSource.OpenConnectionAsync(cancellationToken);
        await WaitUntilLogReadableAsync(testers[0].Store, connection, cancellationToken);
        foreach (var tester in testers)
        {
            tester._worker.TakeRecordedFailure();
        }

        await ProjectionWorker.RebuildTogetherAsync(testers.Select(t => t._worker).ToList(), connection, cancellationToken);
        var failures = testers.Select(t => t._worker.TakeRecordedFailure()).OfType<ProjectionFailedException>().ToList();
        if (failures.Count > 0)
        {
            throw new AggregateException(
                $"{failures.Count} of the {testers.Count} projections rebuilt together failed (the others were rebuilt): {string.Join(" ", failures.Select(f => f.Message))}",
                failures);
        }
    }

    /// <summary>Appends <paramref name="events"/> to <paramref name="stream"/> with <see cref="DefaultMetadata"/>.</summary>
    public Task<AppendResult> AppendAsync(StreamName stream, params object[] events) => AppendAsync(stream, DefaultMetadata, events);

    /// <summary>Appends <paramref name="events"/> to <paramref name="stream"/> with <paramref name="metadata"/>.</summary>
    public Task<AppendResult> AppendAsync(StreamName stream, EventMetadata metadata, params object[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return Store.AppendToStreamAsync(stream, "test", ExpectedVersion.Any, events.Select(e => new NewEvent(Guid.NewGuid(), e, metadata)).ToArray());
    }

    /// <summary>
    /// Brings the projection up to the end of the log as it is now (rebuilding first if it needs to), exactly as the
    /// daemon would. Inline projections are current already; this only builds them if they were never built.
    /// </summary>
    /// <exception cref="ProjectionFailedException">The projection failed: it threw on an event (its position and type
    /// are in the message and in <see cref="ProjectionFailedException.Event"/>, the error is the inner exception), or
    /// PostgreSQL refused what it wrote. The failure is recorded as the daemon records it, so
    /// <see cref="StatusAsync"/> shows it too. Also thrown when the projection was failed already before the call
    /// (until <see cref="ProjectionSet.ResumeAsync"/> or a rebuild), then with the recorded error as the inner exception.</exception>
    public async Task CatchUpAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Store.DataSource.OpenConnectionAsync(cancellationToken);
        var end = await EndOfLogAsync(connection, cancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var record = await _worker.ReadRecordAsync(connection, cancellationToken);
            if (record.State == ProjectionStates.Failed)
            {
                throw await FailedEarlierAsync(cancellationToken);
            }

            if (_worker.NeedsRebuild(record))
            {
                await RebuildOrThrowAsync(connection, cancellationToken);
                continue;
            }

            if (Projection.Mode == ProjectionMode.Inline || record.Checkpoint >= end)
            {
                return;
            }

            try
            {
                if (await _worker.StepAsync(connection, record.Checkpoint, cancellationToken) == 0)
                {
                    // Committed events not yet readable: an older transaction elsewhere on the server is still open.
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException("The end of the log did not become readable within 60 s.");
                    }

                    await Task.Delay(10, cancellationToken);
                }
            }
            catch (ProjectionFailedException failure)
            {
                // Recorded as the daemon records it (the status shows it), then thrown: a test must not read on past it.
                await _worker.RecordFailureAsync(connection, failure, cancellationToken);
                _worker.TakeRecordedFailure();
                throw;
            }
        }
    }

    /// <summary>
    /// Rebuilds the projection from position 0 now (shadow tables, then the swap), from every event appended before the
    /// call: it first waits until they are all readable (an older transaction elsewhere on the server can hold the end
    /// of the log back for a moment).
    /// </summary>
    /// <exception cref="ProjectionFailedException">The projection failed during the rebuild, on an event (named in the
    /// message and in <see cref="ProjectionFailedException.Event"/>, the error being the inner exception) or writing a row;
    /// the failure is recorded as the daemon records it, and the live tables are left as they were.</exception>
    public async Task RebuildAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Store.DataSource.OpenConnectionAsync(cancellationToken);
        await WaitUntilLogReadableAsync(Store, connection, cancellationToken);
        await RebuildOrThrowAsync(connection, cancellationToken);
    }

    /// <summary>Rebuilds through the worker, which records a failure and returns (it may be one of several in a pass); throws it.</summary>
    private async Task RebuildOrThrowAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        _worker.TakeRecordedFailure();
        await _worker.RebuildAsync(connection, cancellationToken);
        if (_worker.TakeRecordedFailure() is { } failure)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>The failure a projection found failed was stopped by, as recorded, for a caller that did not see it happen.</summary>
    private async Task<ProjectionFailedException> FailedEarlierAsync(CancellationToken cancellationToken)
    {
        var failure = (await StatusAsync(cancellationToken)).Failure;
        var where = failure?.Position is { } position ? $" on event {failure.EventType} at position {position}" : string.Empty;
        return new ProjectionFailedException(
            Projection.Name,
            $"before this call{where}, and stays failed until resumed (Store.Projections.ResumeAsync) or rebuilt",
            new InvalidOperationException(failure?.Error ?? "(no error recorded)"));
    }

    /// <summary>Waits until every event appended so far is readable from the log (60 s at most).</summary>
    private static Task WaitUntilLogReadableAsync(PostgresEventStore store, NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ProjectionWorker.WaitUntilLogFullyVisibleAsync(
            connection, null, store.Options.Schema, TimeSpan.FromSeconds(60), "The end of the log did not become readable within 60 s.", cancellationToken);

    /// <summary>The schema-qualified name of the projection's row table (or of <paramref name="table"/>).</summary>
    public string Table(string? table = null) => $"{Store.Options.Schema}.{table ?? Projection.TableNames[0]}";

    /// <summary>Every row of the row table, deserialized, ordered by tenant and key.</summary>
    public async Task<IReadOnlyList<TRow>> RowsAsync<TRow>(CancellationToken cancellationToken = default)
    {
        await using var command = Store.DataSource.CreateCommand($"SELECT row_data::text FROM {Table()} ORDER BY tenant_id, row_key");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<TRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(JsonSerializer.Deserialize<TRow>(reader.GetString(0), Store.Serializer.Options)!);
        }

        return rows;
    }

    /// <summary>Runs <paramref name="sql"/> (positional parameters <c>$1</c>…) and returns each row as column → value.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> QueryAsync(string sql, params object[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var command = Store.DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        while (await reader.ReadAsync())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The projection's status.</summary>
    public async Task<ProjectionStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        (await Store.Projections.GetStatusAsync(cancellationToken)).Single(s => s.Name == Projection.Name);

    private async Task<LogPosition> EndOfLogAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT transaction_id, position FROM {Store.Options.Schema}.events ORDER BY transaction_id DESC, position DESC LIMIT 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new LogPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)) : LogPosition.Start;
    }
}
