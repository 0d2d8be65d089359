using EventCase.Cases.Agencies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventCase.Hosting;

/// <summary>
/// Keeps this node's business calendars current with changes other nodes make (<see cref="ReferenceData.RefreshCalendarsAsync"/>),
/// every <see cref="Interval"/>, for as long as the host runs, once the store is ready. The SLA read models count on
/// these calendars; a node that kept old ones would store due instants, and run rebuilds, on them.
/// </summary>
/// <param name="whenReady">Completes with the reference data once the database is started and migrated.</param>
/// <param name="logger">Where a failed refresh is told (the next one retries).</param>
public sealed class CalendarRefreshService(Func<CancellationToken, Task<ReferenceData>> whenReady, ILogger<CalendarRefreshService> logger) : BackgroundService
{
    /// <summary>How long a calendar change another node made may go unseen here.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var reference = await whenReady(stoppingToken);
            using var timer = new PeriodicTimer(Interval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await reference.RefreshCalendarsAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Refreshing the business calendars failed; retrying in {Interval}", Interval);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
