using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using Npgsql;

namespace EventCase.Benchmarks.Workloads;

/// <summary>W3: load and fold case streams one after another. Baseline: as many single-row primary-key SELECTs.</summary>
internal sealed class W3AggregateLoad : IWorkload
{
    public string Id => "W3";

    public string Name => "aggregate-load";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var cases = context.Scaled(10_000, minimum: 50);
        await using var dataSource = await context.CreateDatabaseAsync("w3", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(cancellationToken);
        await CaseScripts.LoadAsync(store, cases, 0, context.Log, cancellationToken);
        await using (var analyze = dataSource.CreateCommand("ANALYZE eventcase.events; ANALYZE eventcase.streams"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var handler = new CaseCommandHandler(store);
        async Task Load(int i)
        {
            var loaded = await handler.LoadAsync(CaseScripts.Agency, CaseScripts.CaseIdFor(i), cancellationToken);
            if (loaded.State is not OpenedCase { Status: CaseStatus.Resolved } || loaded.Version != 10)
            {
                throw new InvalidOperationException($"case {i} folded to {loaded.State.Status} at version {loaded.Version}");
            }
        }

        async Task Select(int i)
        {
            await using var command = dataSource.CreateCommand("SELECT data::text FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 1");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaseScripts.Agency.Value });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaseScripts.CaseIdFor(i).Value });
            _ = await command.ExecuteScalarAsync(cancellationToken);
        }

        // Warm-up both paths, until the JIT has settled.
        await context.WarmUpAsync(async round =>
        {
            for (var i = 0; i < Math.Min(200, cases); i++)
            {
                await Load(i);
                await Select(i);
            }
        });

        var ours = new LatencyRecorder();
        var baseline = new LatencyRecorder();
        var oursWall = TimeSpan.Zero;
        var baselineWall = TimeSpan.Zero;
        var block = Math.Max(10, cases / 10);
        for (var start = 0; start < cases; start += block)
        {
            var end = Math.Min(cases, start + block);
            var started = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                var n = i;
                await ours.TimeAsync(() => Load(n));
            }

            oursWall += Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                var n = i;
                await baseline.TimeAsync(() => Select(n));
            }

            baselineWall += Stopwatch.GetElapsedTime(started);
        }

        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("case streams loaded and folded (10 events each)", cases, oursWall, ours.Latencies, "cases/s"),
            new Measurement("single-row primary-key SELECTs", cases, baselineWall, baseline.Latencies, "selects/s"),
            $"{cases:N0} cases");
    }
}
