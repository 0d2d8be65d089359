using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.EventStore;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// Not one of the workloads: reads the whole log in rebuild-sized batches, once skipping every event
/// (PostgreSQL and the wire alone) and once deserializing every event, to show where a rebuild's time goes.
/// </summary>
internal sealed class LogReadDiagnostics : IWorkload
{
    public string Id => "D1";

    public string Name => "log-read";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var cases = context.Scaled(100_000, minimum: 100);
        await using var dataSource = await context.CreateDatabaseAsync("d1", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(cancellationToken);
        await CaseScripts.LoadAsync(store, cases, 0, context.Log, cancellationToken);
        await using (var analyze = dataSource.CreateCommand("ANALYZE eventcase.events"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        async Task<(long Events, TimeSpan Wall)> ReadAllAsync(Func<string, bool> include)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var checkpoint = LogPosition.Start;
            long events = 0;
            while (true)
            {
                var batch = await store.ReadLogAsync(connection, checkpoint, 20_000, include, cancellationToken);
                events += batch.RowsRead;
                checkpoint = batch.Checkpoint;
                if (batch.RowsRead < 20_000)
                {
                    return (events, Stopwatch.GetElapsedTime(started));
                }
            }
        }

        await ReadAllAsync(_ => false);
        var skipped = await ReadAllAsync(_ => false);
        var deserialized = await ReadAllAsync(_ => true);
        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("events read and deserialized", deserialized.Events, deserialized.Wall, null, "events/s"),
            new Measurement("events read, none deserialized", skipped.Events, skipped.Wall, null, "events/s"),
            "baseline column = the same read without deserializing");
    }
}
