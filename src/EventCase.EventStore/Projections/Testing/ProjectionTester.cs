using System.Text.Json;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using Npgsql;

namespace EventCase.EventStore.Projections.Testing;

/// <summary>
/// Tests a projection against a real PostgreSQL database through the same code the daemon runs: append events,
/// catch the projection up (or rebuild it), then read its rows. Give each tester its own database or schema.
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
    /// when several projections need a rebuild at once, from every event appended before the call. A projection that
    /// throws is recorded as failed; the others are still rebuilt.
    /// </summary>
    /// <param name="testers">Testers of distinct projections made by one <see cref="CreateManyAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the rebuild.</param>
    /// <exception cref="ArgumentException">The testers do not share a store, or one projection is named twice.</exception>
    public static async Task RebuildTogetherAsync(IReadOnlyList<ProjectionTester> testers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(testers);
        if (testers.Count == 0)
        {
            return;
        }

        await using var connection = await testers[0].Store.DataSource.OpenConnectionAsync(cancellationToken);
        await WaitUntilLogReadableAsync(testers[0].Store, connection, cancellationToken);
        await ProjectionWorker.RebuildTogetherAsync(testers.Select(t => t._worker).ToList(), connection, cancellationToken);
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
                return;
            }

            if (_worker.NeedsRebuild(record))
            {
                await _worker.RebuildAsync(connection, cancellationToken);
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
                await _worker.RecordFailureAsync(connection, failure, cancellationToken);
                return;
            }
        }
    }

    /// <summary>
    /// Rebuilds the projection from position 0 now (shadow tables, then the swap), from every event appended before the
    /// call: it first waits until they are all readable (an older transaction elsewhere on the server can hold the end
    /// of the log back for a moment).
    /// </summary>
    public async Task RebuildAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await Store.DataSource.OpenConnectionAsync(cancellationToken);
        await WaitUntilLogReadableAsync(Store, connection, cancellationToken);
        await _worker.RebuildAsync(connection, cancellationToken);
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
