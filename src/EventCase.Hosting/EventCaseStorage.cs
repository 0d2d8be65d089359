using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Schema;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using EventCase.EventStore.Projections;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EventCase.Hosting;

/// <summary>
/// The PostgreSQL database an EventCase host runs on, connected and migrated: the data source, the event store with
/// every case-domain event type and the built-in projections, and the case tables. Opened once per process by the
/// service and by <c>services.AddEventCase(...)</c>; thread safe once open.
/// </summary>
public sealed class EventCaseStorage : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;

    // One per process: concurrent opens' number draws are combined, which only draws through one allocator can be.
    private readonly PostgresCaseNumberAllocator _numbers;

    private EventCaseStorage(NpgsqlDataSource dataSource, PostgresEventStore store, EmbeddedPostgres? embedded)
    {
        DataSource = dataSource;
        Store = store;
        _embedded = embedded;
        _numbers = new PostgresCaseNumberAllocator(dataSource, store.Options.Schema);
    }

    /// <summary>The data source every query and append goes through.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The event store.</summary>
    public PostgresEventStore Store { get; }

    /// <summary>The schema the event store and the case tables live in.</summary>
    public string Schema => Store.Options.Schema;

    /// <summary>Where the embedded cluster keeps its data, or null when a connection string was given.</summary>
    public string? EmbeddedDataDirectory => _embedded?.DataDirectory;

    /// <summary>
    /// Connects to <paramref name="connectionString"/> or, when it is null or blank, starts (or attaches to) an embedded
    /// PostgreSQL cluster in <paramref name="embeddedDataDirectory"/> (default <see cref="EventCaseDataDirectory.Default"/>),
    /// then migrates the event store and the case tables. Migrations are idempotent and safe when several nodes start at once.
    /// </summary>
    /// <param name="connectionString">A PostgreSQL connection string; null or blank for the embedded cluster.</param>
    /// <param name="embeddedDataDirectory">The embedded cluster's data directory; null or blank for the default.</param>
    /// <param name="schema">The schema of the event store and the case tables.</param>
    /// <param name="calendars">The agencies' business calendars, for the built-in read models.</param>
    /// <param name="logger">Where to say which database is used.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="EmbeddedPostgresException">The embedded cluster could not start (no PostgreSQL binaries, …).</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached.</exception>
    public static Task<EventCaseStorage> OpenAsync(
        string? connectionString, string? embeddedDataDirectory, string schema, IAgencyCalendars calendars, ILogger logger, CancellationToken cancellationToken) =>
        OpenAsync(connectionString, embeddedDataDirectory, schema, calendars, [], logger, cancellationToken);

    /// <summary>
    /// <see cref="OpenAsync(string?, string?, string, IAgencyCalendars, ILogger, CancellationToken)"/>, with projections of
    /// the host's own registered beside the built-in ones.
    /// </summary>
    /// <param name="connectionString">A PostgreSQL connection string; null or blank for the embedded cluster.</param>
    /// <param name="embeddedDataDirectory">The embedded cluster's data directory; null or blank for the default.</param>
    /// <param name="schema">The schema of the event store and the case tables.</param>
    /// <param name="calendars">The agencies' business calendars, for the built-in read models.</param>
    /// <param name="projections">Projections of the host's own; their names and tables must differ from the built-in ones.</param>
    /// <param name="logger">Where to say which database is used.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentException">A projection's name or table is taken (by a built-in one, another of them, the
    /// event store or the case tables), or the projection is not valid.</exception>
    public static async Task<EventCaseStorage> OpenAsync(
        string? connectionString, string? embeddedDataDirectory, string schema, IAgencyCalendars calendars, IReadOnlyList<Projection> projections,
        ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(projections);
        // Before the embedded cluster starts: a projection the store would refuse changes nothing.
        if (FindProjectionProblems(projections) is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(projections));
        }

        ArgumentNullException.ThrowIfNull(logger);
        EmbeddedPostgres? embedded = null;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var directory = string.IsNullOrWhiteSpace(embeddedDataDirectory) ? EventCaseDataDirectory.Default() : embeddedDataDirectory;
            logger.LogInformation("No connection string configured: starting the embedded PostgreSQL in {DataDirectory}", directory);
            embedded = await EmbeddedPostgres.StartAsync(EmbeddedPostgresOptions.Persistent(directory), cancellationToken);
            connectionString = embedded.ConnectionString;
            logger.LogInformation("Embedded PostgreSQL {How} on port {Port}", embedded.AttachedToRunningServer ? "attached" : "started", embedded.Port);
        }

        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var store = new PostgresEventStore(
                dataSource,
                CaseEvents.CreateSerializer(),
                new EventStoreOptions { Schema = schema, ReservedTableNames = CasesSchema.TableNames },
                [.. BuiltInProjections.Create(calendars), .. projections]);
            await store.MigrateAsync(cancellationToken);
            await CasesSchema.MigrateAsync(dataSource, schema, cancellationToken);
            await WarnOfInlineProjectionsNotRegisteredAsync(store, logger, cancellationToken);
            return new EventCaseStorage(dataSource, store, embedded);
        }
        catch
        {
            await dataSource.DisposeAsync();
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Warns of each inline projection that another process registered (its mode is recorded in the database) and this
    /// one does not: an inline projection is written by the appends of the processes that register it, and by no other,
    /// so every case this process writes is missing from it until it is rebuilt, and neither its status nor readiness
    /// can show it (an inline projection has no lag). Appending here is not refused: a host may mean to rebuild it.
    /// </summary>
    private static async Task WarnOfInlineProjectionsNotRegisteredAsync(PostgresEventStore store, ILogger logger, CancellationToken cancellationToken)
    {
        var registered = store.Projections.All.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        await using var command = store.DataSource.CreateCommand($"SELECT name FROM {store.Options.Schema}.projections WHERE mode = 'inline' ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            if (!registered.Contains(name))
            {
                logger.LogWarning(
                    "Inline projection {Projection} is recorded in the database but not registered in this process: the cases this process writes are missing from it until it is rebuilt (eventcase projections rebuild {Projection}). Register it in every process that writes (EventCaseOptions.Projections), or remove it (writing-a-projection.md).",
                    name,
                    name);
            }
        }
    }

    /// <summary>
    /// What would stop the store from registering <paramref name="projections"/> (a host's own) beside the built-in ones:
    /// a null entry, a name or table a built-in projection, the event store or the case tables have, one given twice,
    /// or a definition the store refuses. Found without a database, so that a host checks it with its other options.
    /// </summary>
    internal static IReadOnlyList<string> FindProjectionProblems(IReadOnlyList<Projection> projections)
    {
        var problems = new List<string>();
        for (var i = 0; i < projections.Count; i++)
        {
            if (projections[i] is null)
            {
                problems.Add($"A projection of the host's own is null (Projections[{i}]); add a projection instance to EventCaseOptions.Projections.");
            }
        }

        // The built-in projections take the calendars only to read them while applying events.
        problems.AddRange(ProjectionSet.FindProblems(
            [.. BuiltInProjections.Create(new CalendarCache()), .. projections.Where(p => p is not null)], CaseEvents.CreateSerializer(), CasesSchema.TableNames));
        return problems;
    }

    /// <summary>A command handler on this database, with the case number allocator.</summary>
    public CaseCommandHandler CreateHandler() => new(Store, _numbers);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
