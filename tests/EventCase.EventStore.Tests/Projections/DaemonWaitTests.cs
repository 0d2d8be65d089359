using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using EventCase.EventStore.Projections;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// The daemon's ordinary waits end without exceptions: in a soak run at 150 requests a second the service counted about
/// a hundred TaskCanceledExceptions and two TimeoutExceptions a second (dotnet.exceptions), all of them from waits that
/// ended as they should, which drowns the exceptions an operator looks for.
/// </summary>
public sealed class DaemonWaitTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_poll_interval_that_passes_without_an_append_ends_the_wait_without_an_exception()
    {
        var signal = new AppendSignal();

        var thrown = await ExceptionsThrownAsync(() => signal.WaitAsync(TimeSpan.FromMilliseconds(20), Ct), nameof(AppendSignal));

        Assert.Empty(thrown);
    }

    [Fact]
    public async Task A_wait_cancelled_by_shutting_down_still_throws()
    {
        var signal = new AppendSignal();
        using var shutdown = new CancellationTokenSource();
        var waiting = signal.WaitAsync(TimeSpan.FromMinutes(1), shutdown.Token);

        await shutdown.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task A_batch_that_ends_within_a_poll_interval_ends_its_reports_without_an_exception()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection(ProjectionMode.Async));
        var worker = new ProjectionWorker(store, store.Projections.Runners.Single(), new ProjectionDaemonOptions { NodeId = "test" });

        var thrown = await ExceptionsThrownAsync(
            () => ProjectionOwnership.ReportWhileAsync([worker], () => Task.FromResult(0), Ct), "ReportUntilAsync");

        Assert.Empty(thrown);
    }

    /// <summary>The exceptions thrown while <paramref name="action"/> runs with <paramref name="site"/> on the stack.</summary>
    private static async Task<List<Exception>> ExceptionsThrownAsync(Func<Task> action, string site)
    {
        var thrown = new ConcurrentQueue<Exception>();
        void Record(object? sender, FirstChanceExceptionEventArgs e)
        {
            // Other test classes run beside this one: only what is thrown from inside the wait counts. The handler runs
            // where the exception is thrown, so the current stack names the method that threw it.
            if (Environment.StackTrace.Contains(site, StringComparison.Ordinal))
            {
                thrown.Enqueue(e.Exception);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Record;
        try
        {
            await action();
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Record;
        }

        return [.. thrown];
    }
}
