using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W10: one case's rows rebuilt from its events in all six built-in read models (<see cref="ProjectionSet.RebuildStreamAsync"/>,
/// decision 0022), with the service's daemon running beside it, as `eventcase projections rebuild-case` and the admin route
/// do; p50/p99. Every rebuild must find the rows as a fold of the case's events gives them: one that differs fails the run.
/// </summary>
internal sealed class W10CaseRebuild : IWorkload
{
    public string Id => "W10";

    public string Name => "case-rebuild";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var cases = context.Scaled(10_000, minimum: 100);
        var rebuilds = context.Scaled(2_000, minimum: 50);
        await using var dataSource = await context.CreateDatabaseAsync("w10", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CaseScripts.Calendars));
        await store.MigrateAsync(cancellationToken);
        await CaseScripts.LoadAsync(store, cases, 0, context.Log, cancellationToken);
        await using (var analyze = dataSource.CreateCommand("ANALYZE eventcase.events"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        using var daemon = new ProjectionDaemon(store, new ProjectionDaemonOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        await daemon.StartAsync(cancellationToken);
        try
        {
            await CaseScripts.WaitForReadModelsAsync(store, cancellationToken);
            var random = new Random(10);
            async Task RebuildOne()
            {
                var stream = CaseScripts.StreamFor(random.Next(cases));
                var results = await store.Projections.RebuildStreamAsync(stream, cancellationToken: cancellationToken);
                if (results.Count != 6 || results.FirstOrDefault(r => r.Changed) is { } wrong)
                {
                    throw new InvalidOperationException($"the rebuild of {stream.Id} found {results.Count} read models, or rows that differ from its events: {string.Join("; ", results)}");
                }
            }

            for (var i = 0; i < Math.Min(200, rebuilds); i++)
            {
                await RebuildOne();
            }

            var latencies = new LatencyRecorder();
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < rebuilds; i++)
            {
                await latencies.TimeAsync(RebuildOne);
            }

            return new WorkloadResult(
                $"{Id} {Name}",
                new Measurement("cases rebuilt in six read models", rebuilds, Stopwatch.GetElapsedTime(started), latencies.Latencies, "cases/s"),
                null,
                $"{cases:N0} cases of 10 events; 3 inline + 3 async read models (audit entries, open intervals) per case, one transaction each; the daemon running; every rebuild found the rows agreeing with the events");
        }
        finally
        {
            await daemon.StopAsync(CancellationToken.None);
        }
    }
}
