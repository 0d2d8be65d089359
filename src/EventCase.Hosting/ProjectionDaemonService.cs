using EventCase.EventStore;
using EventCase.EventStore.Projections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventCase.Hosting;

/// <summary>
/// Runs the projection daemon (the async read models: SLA clocks, audit trail, statistics, your own) for as long as
/// the host runs, once the store is ready. Every node may run one: each projection is owned by one node at a time.
/// </summary>
/// <param name="whenStoreReady">Completes with the store once the database is started and migrated, or with null when
/// this host does not run the daemon after all.</param>
/// <param name="loggers">Loggers for the daemon.</param>
/// <param name="options">Daemon settings; null for the defaults.</param>
public sealed class ProjectionDaemonService(
    Func<CancellationToken, Task<PostgresEventStore?>> whenStoreReady, ILoggerFactory loggers, ProjectionDaemonOptions? options = null) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        PostgresEventStore? store;
        try
        {
            store = await whenStoreReady(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (store is null)
        {
            return;
        }

        using var daemon = new ProjectionDaemon(store, options ?? new ProjectionDaemonOptions(), loggers.CreateLogger<ProjectionDaemon>());
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
