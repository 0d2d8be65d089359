using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.AuditTrail;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.Cases.Schema;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using EventCase.EventStore.Projections;
using EventCase.Server.Admin;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventCase.Server.Hosting;

/// <summary>
/// The database the service runs on: the configured <c>ConnectionStrings:EventCase</c>, or else an embedded PostgreSQL
/// cluster in a data directory of its own that is kept between runs. Started (and migrated, and seeded) by
/// <see cref="DatabaseStartup"/> before the server takes requests; everything that needs the store waits for
/// <see cref="WhenReady"/> or reads <see cref="Store"/> once the host is up.
/// </summary>
public sealed class EventCaseDatabase(IConfiguration configuration, IOptions<ServerSettings> settings, CalendarCache calendars, ILogger<EventCaseDatabase> logger) : IAsyncDisposable
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EmbeddedPostgres? _embedded;
    private NpgsqlDataSource? _dataSource;
    private PostgresEventStore? _store;

    /// <summary>Completes once the database is reachable and migrated.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>The event store (after start-up).</summary>
    public PostgresEventStore Store => _store ?? throw new InvalidOperationException("The database is not started yet.");

    /// <summary>The data source (after start-up).</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The database is not started yet.");

    /// <summary>The schema everything lives in.</summary>
    public string Schema => settings.Value.Schema;

    /// <summary>Where the embedded cluster keeps its data, or null when a connection string is configured.</summary>
    public string? EmbeddedDataDirectory => _embedded?.DataDirectory;

    /// <summary>
    /// The default data directory of the embedded cluster: <c>$EVENTCASE_DATA_DIR</c>, else <c>$XDG_DATA_HOME/eventcase/postgres</c> or
    /// <c>~/.local/share/eventcase/postgres</c>; as root <c>/var/lib/eventcase/postgres</c>, which the unprivileged
    /// <c>postgres</c> user PostgreSQL then runs as can traverse (a root home directory is not).
    /// </summary>
    public static string DefaultDataDirectory()
    {
        // The same directory the eventcase CLI uses, so `eventcase replay` reads what the server wrote.
        var configured = Environment.GetEnvironmentVariable("EVENTCASE_DATA_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        if (OperatingSystem.IsLinux() && Environment.UserName == "root")
        {
            return "/var/lib/eventcase/postgres";
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg;
        return Path.Combine(root, "eventcase", "postgres");
    }

    /// <summary>Connects (starting the embedded cluster when needed), migrates, and marks the database ready.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connectionString = configuration.GetConnectionString("EventCase");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                var directory = string.IsNullOrWhiteSpace(settings.Value.DataDirectory) ? DefaultDataDirectory() : settings.Value.DataDirectory;
                logger.LogInformation("No ConnectionStrings:EventCase configured: starting the embedded PostgreSQL in {DataDirectory}", directory);
                _embedded = await EmbeddedPostgres.StartAsync(EmbeddedPostgresOptions.Persistent(directory), cancellationToken);
                connectionString = _embedded.ConnectionString;
                logger.LogInformation("Embedded PostgreSQL {How} on port {Port}", _embedded.AttachedToRunningServer ? "attached" : "started", _embedded.Port);
            }

            _dataSource = NpgsqlDataSource.Create(connectionString);
            var options = new EventStoreOptions { Schema = settings.Value.Schema };
            _store = new PostgresEventStore(_dataSource, ServerEvents.CreateSerializer(), options, ServerProjections.Create(calendars));
            await _store.MigrateAsync(cancellationToken);
            await CasesSchema.MigrateAsync(_dataSource, options.Schema, cancellationToken);
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>Marks start-up as failed.</summary>
    public void Fail(Exception error) => _ready.TrySetException(error);

    /// <summary>Marks the database ready (after the reference data is loaded and seeded).</summary>
    public void MarkReady() => _ready.TrySetResult();

    /// <summary>Creates a command handler on this database.</summary>
    public CaseCommandHandler CreateHandler() => new(Store, new PostgresCaseNumberAllocator(DataSource, Schema));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }
    }
}

/// <summary>The projections this service runs: the case number lookup and the built-in read models.</summary>
public static class ServerProjections
{
    /// <summary>A fresh set of projection instances.</summary>
    public static IReadOnlyList<Projection> Create(IAgencyCalendars calendars) =>
    [
        new CaseNumberLookupProjection(),
        new CaseSummaryProjection(calendars),
        new WorkQueueProjection(calendars),
        new SlaClockProjection(calendars),
        new AuditTrailProjection(),
        new CaseFactsProjection(calendars),
    ];
}

/// <summary>Starts the database before the server takes requests, then seeds the demo data.</summary>
internal sealed class DatabaseStartup(EventCaseDatabase database, ReferenceData reference, IOptions<ServerSettings> settings, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await database.StartAsync(cancellationToken);
        try
        {
            await reference.LoadAsync(cancellationToken);
            if (settings.Value.SeedDemoData && await DemoSeed.SeedWhenEmptyAsync(reference, cancellationToken))
            {
                logger.LogInformation("Seeded the demo agency '{Agency}': catalog, routing and calendar", DemoSeed.Agency);
            }
        }
        catch (Exception e)
        {
            database.Fail(e);
            throw;
        }

        database.MarkReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Runs the projection daemon once the database is ready.</summary>
internal sealed class ProjectionDaemonHost(EventCaseDatabase database, ILoggerFactory loggers) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await database.WhenReady.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var daemon = new ProjectionDaemon(database.Store, new ProjectionDaemonOptions(), loggers.CreateLogger<ProjectionDaemon>());
        await daemon.StartAsync(stoppingToken);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
        finally
        {
            await daemon.StopAsync(CancellationToken.None);
        }
    }
}
