using EventCase.Cases.Agencies;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.EventStore;
using EventCase.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventCase.Server.Hosting;

/// <summary>
/// The database the service runs on: the configured <c>ConnectionStrings:EventCase</c>, or else an embedded PostgreSQL
/// cluster in a data directory of its own that is kept between runs (<see cref="EventCaseStorage"/>, shared with
/// embedding hosts). Started (and migrated, and seeded) by <see cref="DatabaseStartup"/> before the server takes
/// requests; everything that needs the store waits for <see cref="WhenReady"/> or reads <see cref="Store"/> once the
/// host is up.
/// </summary>
public sealed class EventCaseDatabase(IConfiguration configuration, IOptions<ServerSettings> settings, CalendarCache calendars, ILogger<EventCaseDatabase> logger) : IAsyncDisposable
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EventCaseStorage? _storage;

    /// <summary>Completes once the database is reachable and migrated.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>The event store (after start-up).</summary>
    public PostgresEventStore Store => Started.Store;

    /// <summary>The data source (after start-up).</summary>
    public NpgsqlDataSource DataSource => Started.DataSource;

    /// <summary>The schema everything lives in.</summary>
    public string Schema => settings.Value.Schema;

    /// <summary>Where the embedded cluster keeps its data, or null when a connection string is configured.</summary>
    public string? EmbeddedDataDirectory => _storage?.EmbeddedDataDirectory;

    private EventCaseStorage Started => _storage ?? throw new InvalidOperationException("The database is not started yet.");

    /// <summary>Connects (starting the embedded cluster when needed), migrates, and marks the database ready.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var connectionString = configuration.GetConnectionString("EventCase");
        // A configured server may not be up yet (started beside the service, restarting, failing over): wait for it, up
        // to EventCase:StartupTimeoutSeconds, rather than stop at the first refused connection. The embedded cluster is
        // the service's own to start, and its failures are not of that kind.
        var deadline = DateTime.UtcNow.AddSeconds(settings.Value.StartupTimeoutSeconds);
        while (true)
        {
            try
            {
                _storage = await EventCaseStorage.OpenAsync(
                    connectionString, settings.Value.DataDirectory, settings.Value.Schema, calendars, logger, cancellationToken);
                return;
            }
            catch (Exception e) when (!string.IsNullOrWhiteSpace(connectionString) && Http.DatabaseUnavailableHandler.IsDatabaseUnavailable(e)
                && DateTime.UtcNow + StartupRetryInterval < deadline && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("The database is not reachable yet ({Reason}); trying again in {Seconds} s, until {Deadline:O}",
                    e.GetBaseException().Message, StartupRetryInterval.TotalSeconds, deadline);
                try
                {
                    await Task.Delay(StartupRetryInterval, cancellationToken);
                }
                catch (OperationCanceledException cancelled)
                {
                    // Stopped while waiting (Ctrl-C): start-up failed, as for whoever awaits WhenReady.
                    Fail(cancelled);
                    throw;
                }
            }
            catch (Exception e)
            {
                Fail(e);
                throw;
            }
        }
    }

    /// <summary>How long start-up waits between attempts to reach a configured database that is not there yet.</summary>
    internal static readonly TimeSpan StartupRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>Marks start-up as failed.</summary>
    public void Fail(Exception error) => _ready.TrySetException(error);

    /// <summary>Marks the database ready (after the reference data is loaded and seeded).</summary>
    public void MarkReady() => _ready.TrySetResult();

    /// <summary>Creates a command handler on this database.</summary>
    public CaseCommandHandler CreateHandler() => Started.CreateHandler();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }
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
