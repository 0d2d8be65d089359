using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.ReadModels;
using EventCase.EventStore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;
using Npgsql;

namespace EventCase.Hosting;

/// <summary>
/// The engine a host embeds, registered by <see cref="EventCaseServiceCollectionExtensions.AddEventCase"/>: started
/// with the host (database connected or embedded cluster started, schema migrated, the agencies' catalogs, routing and
/// calendars brought in line with <see cref="EventCaseOptions"/>) and stopped with it. Thread safe.
/// </summary>
/// <remarks>
/// The store, the command handler and the queries exist once the host has started; ASP.NET Core starts hosted services
/// before it takes requests, so endpoints can use them freely. Code that runs earlier waits for <see cref="WhenReady"/>.
/// </remarks>
public sealed class EventCaseEngine : IAsyncDisposable
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IOptions<EventCaseOptions> _options;
    private readonly CalendarCache _calendars;
    private readonly IClock _clock;
    private readonly ILogger<EventCaseEngine> _logger;
    private EventCaseStorage? _storage;
    private IReadOnlyDictionary<AgencyId, ConfiguredAgency>? _agencies;

    /// <summary>Creates the engine (not started). Hosts get it from dependency injection.</summary>
    /// <param name="options">The options; checked when the engine starts.</param>
    /// <param name="calendars">The calendar cache the read models use.</param>
    /// <param name="clock">The clock configuration changes are recorded at.</param>
    /// <param name="logger">The engine's logger.</param>
    public EventCaseEngine(IOptions<EventCaseOptions> options, CalendarCache calendars, IClock clock, ILogger<EventCaseEngine> logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _calendars = calendars ?? throw new ArgumentNullException(nameof(calendars));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Reference = new ReferenceData(() => Storage.Store, calendars);
    }

    /// <summary>Completes once the engine has started; faults with the reason when it could not.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>The database: data source, event store, schema (after start-up).</summary>
    /// <exception cref="InvalidOperationException">The host has not started the engine yet.</exception>
    public EventCaseStorage Storage => _storage ?? throw new InvalidOperationException("EventCase is not started yet: the host starts it (await WhenReady).");

    /// <summary>The event store (after start-up).</summary>
    public PostgresEventStore Store => Storage.Store;

    /// <summary>The data source (after start-up).</summary>
    public NpgsqlDataSource DataSource => Storage.DataSource;

    /// <summary>The agencies' stored catalogs, routing tables and calendars.</summary>
    public ReferenceData Reference { get; }

    /// <summary>The agencies this host serves, as configured (after start-up).</summary>
    public IReadOnlyCollection<ConfiguredAgency> Agencies => Configured.Values.ToArray();

    private IReadOnlyDictionary<AgencyId, ConfiguredAgency> Configured =>
        _agencies ?? throw new InvalidOperationException("EventCase is not started yet: the host starts it (await WhenReady).");

    /// <summary>The configured agency with this id, or null when the host does not serve it.</summary>
    public ConfiguredAgency? FindAgency(AgencyId agency)
    {
        ArgumentNullException.ThrowIfNull(agency);
        return Configured.GetValueOrDefault(agency);
    }

    /// <summary>
    /// Starts the engine: checks the options, opens the database (migrating it), loads the stored calendars and brings
    /// each configured agency's reference data in line with its options. Called by the host.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are not usable; the message lists every problem.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var options = _options.Value; // validated here (and at host start): a bad configuration never touches the database
            var (agencies, _) = ConfiguredAgency.FromOptions(options);
            _storage = await EventCaseStorage.OpenAsync(
                options.ConnectionString, options.EmbeddedDataDirectory, options.Schema, _calendars, [.. options.Projections], _logger, cancellationToken);
            await Reference.LoadAsync(cancellationToken);
            foreach (var agency in agencies)
            {
                var appended = await AgencyReferenceSync.ApplyAsync(Reference, Store.Serializer.Options, agency, _clock, cancellationToken);
                _logger.LogInformation("Agency {Agency}: {Changes} reference data change(s) recorded", agency.Id, appended);
            }

            _agencies = agencies.ToDictionary(a => a.Id);
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _ready.TrySetCanceled();
        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }
}
