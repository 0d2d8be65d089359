using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
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

    private CliSession(NpgsqlDataSource dataSource, string schema, EmbeddedPostgres? embedded)
    {
        DataSource = dataSource;
        _embedded = embedded;
        // The service's event types and projections, so that the CLI sees the database exactly as the service does.
        Store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), new EventStoreOptions { Schema = schema }, BuiltInProjections.Create(Calendars));
    }

    public NpgsqlDataSource DataSource { get; }

    public PostgresEventStore Store { get; }

    /// <summary>Calendars for the projections' definitions; reports load each agency's own (see <see cref="LoadCalendarAsync"/>).</summary>
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

    public static async Task<CliSession> OpenAsync(GlobalOptions options, CancellationToken cancellationToken)
    {
        var connection = options.Connection ?? Environment.GetEnvironmentVariable("EVENTCASE_CONNECTION");
        EmbeddedPostgres? embedded = null;
        if (string.IsNullOrWhiteSpace(connection))
        {
            embedded = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(options.DataDirectory ?? DataDirectories.DefaultPostgresDirectory()));
            await embedded.StartAsync(cancellationToken);
            // The same database the server uses on the embedded cluster.
            connection = embedded.ConnectionString;
        }

        var session = new CliSession(NpgsqlDataSource.Create(connection), options.Schema, embedded);
        await session.Store.MigrateAsync(cancellationToken);
        return session;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}
