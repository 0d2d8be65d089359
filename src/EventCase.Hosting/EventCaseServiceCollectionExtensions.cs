using EventCase.Cases.Agencies;
using EventCase.Cases.Handling;
using EventCase.Cases.Intake;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.EventStore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;

namespace EventCase.Hosting;

/// <summary>Registers the EventCase engine in a .NET host.</summary>
public static class EventCaseServiceCollectionExtensions
{
    /// <summary>
    /// Registers the EventCase engine with one call. When the host starts, the options are checked (a misconfigured
    /// host does not start), the database is connected (or an embedded PostgreSQL started) and migrated, and each
    /// configured agency's catalog, routing rules and calendar are recorded; when it stops, everything is closed.
    /// </summary>
    /// <remarks>
    /// Registers, as singletons: <see cref="EventCaseEngine"/>; <see cref="ReferenceData"/>; <see cref="CalendarCache"/>
    /// (also as <see cref="IAgencyCalendars"/>); <see cref="CaseCommandHandler"/>; <see cref="CaseIntake"/>;
    /// <see cref="CaseSummaryQueries"/>, <see cref="WorkQueueQueries"/> and <see cref="SlaClockQueries"/>; an
    /// <see cref="IClock"/> (the system clock) unless one is registered; and two hosted services: the engine's start
    /// and, when <see cref="EventCaseOptions.RunProjectionDaemon"/> is set, the projection daemon. The handler, intake
    /// and queries need the started engine, so resolve them in request handlers or after the host has started.
    /// Call it once per host.
    /// </remarks>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the connection string, schema, agencies, …; runs when the options are first read.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="InvalidOperationException">AddEventCase was already called on these services.</exception>
    public static IServiceCollection AddEventCase(this IServiceCollection services, Action<EventCaseOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.Any(d => d.ServiceType == typeof(EventCaseEngine)))
        {
            throw new InvalidOperationException("AddEventCase was already called: register the engine once, with every agency in one configuration.");
        }

        services.AddOptions<EventCaseOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventCaseOptions>, EventCaseOptionsValidator>());
        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.AddSingleton<CalendarCache>();
        services.AddSingleton<IAgencyCalendars>(sp => sp.GetRequiredService<CalendarCache>());
        services.AddSingleton<EventCaseEngine>();
        services.AddSingleton(sp => sp.GetRequiredService<EventCaseEngine>().Reference);
        services.AddSingleton(sp => sp.GetRequiredService<EventCaseEngine>().Storage.CreateHandler());
        services.AddSingleton(sp => new CaseIntake(sp.GetRequiredService<ReferenceData>(), sp.GetRequiredService<CaseCommandHandler>()));
        services.AddSingleton(sp => new CaseSummaryQueries(sp.GetRequiredService<EventCaseEngine>().Store));
        services.AddSingleton(sp => new WorkQueueQueries(sp.GetRequiredService<EventCaseEngine>().Store));
        services.AddSingleton(sp => new SlaClockQueries(sp.GetRequiredService<EventCaseEngine>().Store, sp.GetRequiredService<CalendarCache>()));
        services.AddHostedService<EngineStartup>();
        services.AddHostedService(sp =>
        {
            var engine = sp.GetRequiredService<EventCaseEngine>();
            var options = sp.GetRequiredService<IOptions<EventCaseOptions>>();
            return new ProjectionDaemonService(
                async stoppingToken =>
                {
                    if (!options.Value.RunProjectionDaemon)
                    {
                        return null;
                    }

                    await engine.WhenReady.WaitAsync(stoppingToken);
                    return engine.Store;
                },
                sp.GetRequiredService<ILoggerFactory>(),
                options.Value.ProjectionDaemon);
        });
        services.AddHostedService(sp =>
        {
            var engine = sp.GetRequiredService<EventCaseEngine>();
            return new CalendarRefreshService(
                async stoppingToken =>
                {
                    await engine.WhenReady.WaitAsync(stoppingToken);
                    return engine.Reference;
                },
                sp.GetRequiredService<ILogger<CalendarRefreshService>>());
        });
        return services;
    }

    /// <summary>Starts the engine before the host takes requests (hosted services start in registration order).</summary>
    private sealed class EngineStartup(EventCaseEngine engine) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
