using System.Net.Sockets;
using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using EventCase.EventStore.Schema;
using Npgsql;

namespace EventCase.Cli.Hosting;

/// <summary>
/// The database a command works on: the <c>--connection</c> string (or <c>EVENTCASE_CONNECTION</c>) when given,
/// otherwise the embedded PostgreSQL in the data directory, attached to when it runs and started for the command
/// (and stopped afterwards) when it does not.
/// </summary>
internal sealed class CliSession : IAsyncDisposable
{
    private readonly EmbeddedPostgres? _embedded;
    private readonly CalendarCache _calendars = new();

    private CliSession(NpgsqlDataSource dataSource, string schema, EmbeddedPostgres? embedded)
    {
        DataSource = dataSource;
        _embedded = embedded;
        // The service's event types and projections, so that the CLI sees the database exactly as the service does. Their
        // calendars are the agencies' own once LoadCalendarsAsync has read them: a command that folds events into read
        // models (a case's rebuild) must count business time as the service did.
        Store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), new EventStoreOptions { Schema = schema }, BuiltInProjections.Create(_calendars));
    }

    /// <summary>
    /// Reads every agency's calendars over time into the calendars the session's projections count business time on,
    /// as the service does at start-up (without requesting any rebuild). Until then they count on the default calendar.
    /// </summary>
    public Task LoadCalendarsAsync(CancellationToken cancellationToken) => new ReferenceData(() => Store, _calendars).LoadAsync(cancellationToken);

    public NpgsqlDataSource DataSource { get; }

    public PostgresEventStore Store { get; }

    /// <summary>
    /// The default calendar for every agency: for projections registered only to be named, never to fold (tests, tools).
    /// The session's own projections count on the agencies' calendars (<see cref="LoadCalendarsAsync"/>); reports load
    /// each agency's own (<see cref="LoadCalendarAsync"/>).
    /// </summary>
    public static AgencyCalendars Calendars { get; } = AgencyCalendars.Single(CalendarDefinition.Default.TryBuild().Calendar!);

    /// <summary>The agency's business calendar as the service stores it (its <c>$calendar</c> stream), or the default.</summary>
    public async Task<BusinessCalendar> LoadCalendarAsync(string agency, CancellationToken cancellationToken)
    {
        CalendarDefinition? definition = null;
        await foreach (var recorded in Store.ReadStreamAsync(new StreamName(agency, ReferenceData.CalendarStream), cancellationToken: cancellationToken))
        {
            if (recorded.Data is CalendarSet set)
            {
                definition = set.Calendar;
            }
        }

        var (calendar, problem) = (definition ?? CalendarDefinition.Default).TryBuild();
        return calendar ?? throw new CliException($"the calendar of {agency} cannot be used: {problem}");
    }

    /// <summary>Connects to the database the options name (starting the embedded cluster when none is named).</summary>
    /// <param name="options">The global options.</param>
    /// <param name="access">
    /// Whether the command may create or migrate the schema. Only commands that write events do: the others must run on
    /// a read-only replica (docs/operating.md), and must not turn a mistyped <c>--schema</c> into a new, empty store
    /// that then verifies as intact.
    /// </param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <exception cref="CliException">No event store in the schema, or one older than this tool.</exception>
    public static async Task<CliSession> OpenAsync(GlobalOptions options, SchemaAccess access, CancellationToken cancellationToken)
    {
        var connection = options.Connection;
        if (string.IsNullOrWhiteSpace(connection) && !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("EVENTCASE_CONNECTION")))
        {
            connection = Environment.GetEnvironmentVariable("EVENTCASE_CONNECTION")!;
            if (GlobalOptions.ConnectionStringProblem(connection) is { } problem)
            {
                // The same mistake as in --connection, which the parser refuses as a bad argument: the same exit code.
                // Nothing has been done yet.
                throw CliException.BadArgument(GlobalOptions.NotAConnectionString("EVENTCASE_CONNECTION", problem));
            }
        }

        EmbeddedPostgres? embedded = null;
        if (string.IsNullOrWhiteSpace(connection))
        {
            embedded = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(options.DataDirectory ?? DataDirectories.DefaultPostgresDirectory()));
            if (access != SchemaAccess.CreateOrMigrate && !embedded.GetStatus().IsInitialized)
            {
                // A command that only reads would find no event store in a cluster it had just created: saying so
                // without creating one spares the initdb (seconds, and a cluster left behind, as root under /var/lib),
                // and names the directory, which is most often the mistake (another user's, or --data-dir forgotten).
                var directory = embedded.DataDirectory;
                await embedded.DisposeAsync();
                throw new CliException(
                    $"no event store: the embedded PostgreSQL's data directory {directory} holds no database yet (is --data-dir or EVENTCASE_DATA_DIR right?); "
                    + "the service, or `eventcase import`, creates it there, or name another database with --connection");
            }

            var runningBefore = embedded.GetStatus().IsRunning;
            try
            {
                await embedded.StartAsync(cancellationToken);
            }
            catch
            {
                // Stopped part-way (Ctrl-C while it waited for the server to accept connections, or pg_ctl interrupted
                // once it had launched it): the server the command started kept running after it, and the next command
                // attached to it and left it running too, since it had not started it. Only one that was not running
                // before is stopped.
                if (!runningBefore && embedded.GetStatus().IsRunning)
                {
                    try
                    {
                        await embedded.StopAsync(CancellationToken.None);
                    }
                    catch (EmbeddedPostgresException)
                    {
                        // What failed first is what to report; the status names a server left running.
                    }
                }

                await embedded.DisposeAsync();
                throw;
            }

            // The same database the server uses on the embedded cluster.
            connection = embedded.ConnectionString;
        }

        var session = new CliSession(NpgsqlDataSource.Create(connection), options.Schema, embedded);
        try
        {
            if (access == SchemaAccess.CreateOrMigrate)
            {
                await session.Store.MigrateAsync(cancellationToken);
            }
            else
            {
                await session.RequireMigratedSchemaAsync(cancellationToken);
            }

            return session;
        }
        catch (NpgsqlException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData } resolving)
        {
            // The resolver's message alone ("Name or service not known") does not say which name it could not find.
            await session.DisposeAsync();
            throw new CliException($"the database host '{new NpgsqlConnectionStringBuilder(connection).Host}' cannot be found ({resolving.Message})", ExitCodes.Failure, e);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private async Task RequireMigratedSchemaAsync(CancellationToken cancellationToken)
    {
        var schema = Store.Options.Schema;

        // 0 as well for a schema that is not there, or holds no migrations table.
        var applied = await SchemaMigrator.GetAppliedVersionAsync(DataSource, schema, PostgresEventStore.MigrationSet, cancellationToken);
        var needed = PostgresEventStore.Migrations.Max(m => m.Version);
        if (applied == 0)
        {
            throw new CliException(
                $"schema '{schema}' holds no EventCase event store (is --schema right?); the service, or `eventcase import`, creates it on the primary");
        }

        if (applied < needed)
        {
            throw new CliException(
                $"schema '{schema}' is at event store migration {applied}, this eventcase needs {needed}: start the service once on the primary to migrate it");
        }
    }

    /// <summary>
    /// Whether <paramref name="tenant"/> has any stream (cases, or the agency's catalog, calendar and routing). An agency
    /// with none is most likely a typo or the wrong database: the commands given one say so and exit 1, as
    /// <c>audit verify --tenant</c> does, rather than give an empty answer that passes for a true one.
    /// </summary>
    public async Task<bool> TenantHasStreamsAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM {Store.Options.Schema}.streams WHERE tenant_id = $1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_embedded is not null)
        {
            try
            {
                await _embedded.DisposeAsync();
            }
            catch (EmbeddedPostgresException) when (_embedded.GetStatus() is { IsRunning: true } status)
            {
                // pg_ctl stop interrupted before it told the server to stop: Ctrl-C in a terminal reaches it too, while
                // the server, a session of its own, is not signalled and kept running. Asked once more, then the
                // failure is reported (as cancelled, after a Ctrl-C).
                await using var again = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(status.DataDirectory));
                await again.StopAsync(CancellationToken.None);
                throw;
            }
        }
    }
}

/// <summary>What a command may do to the schema of the event store.</summary>
internal enum SchemaAccess
{
    /// <summary>Read only: the schema must exist, migrated; nothing is created (a replica is read-only).</summary>
    RequireExisting,

    /// <summary>Create the schema or migrate it first (commands that write events, on the primary).</summary>
    CreateOrMigrate,
}
