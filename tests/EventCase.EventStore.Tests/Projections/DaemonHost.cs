using EventCase.EventStore.Projections;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>Runs a <see cref="ProjectionDaemon"/> the way a .NET host would: started, then stopped on dispose.</summary>
public sealed class DaemonHost(PostgresEventStore store, ProjectionDaemonOptions options, Microsoft.Extensions.Logging.ILogger<ProjectionDaemon>? logger = null) : IAsyncDisposable
{
    private readonly ProjectionDaemon _daemon = new(store, options, logger);
    private bool _running;

    public async Task StartAsync()
    {
        await _daemon.StartAsync(CancellationToken.None);
        _running = true;
    }

    public async Task StopAsync()
    {
        if (_running)
        {
            _running = false;
            await _daemon.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _daemon.Dispose();
    }
}
