using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using EventCase.EventStore.Projections.Testing;
using NpgsqlTypes;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W4: rebuild the case-summary and work-queue projections over at least a million events, right after the bulk
/// load (no statistics yet: the trap a rebuild must not fall into), in one pass over the log as the daemon does for
/// projections due at the same time. The rate counts each log event once. Baseline: binary COPY of the same number of
/// rows.
/// </summary>
internal sealed class W4Rebuild : IWorkload
{
    public string Id => "W4";

    public string Name => "rebuild";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var cases = context.Scaled(100_000, minimum: 100);
        var events = cases * 10L;
        await using var dataSource = await context.CreateDatabaseAsync("w4", cancellationToken);
        var loader = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await loader.MigrateAsync(cancellationToken);
        context.Log.WriteLine($"  loading {cases:N0} cases ({events:N0} events)");
        await CaseScripts.LoadAsync(loader, cases, 0, context.Log, cancellationToken);

        // Both projections in one pass over the log, as the daemon rebuilds projections that are due at the same
        // time: the rate is log events per second of wall time (each event is counted once, not once per projection).
        var testers = await ProjectionTester.CreateManyAsync(
            dataSource, CaseEvents.CreateRegistry(), [new CaseSummaryProjection(CaseScripts.Calendars), new WorkQueueProjection(CaseScripts.Calendars)], "eventcase", cancellationToken);
        var rebuilds = new LatencyRecorder();
        var started = Stopwatch.GetTimestamp();
        await rebuilds.TimeAsync(() => ProjectionTester.RebuildTogetherAsync(testers, cancellationToken));
        var oursWall = Stopwatch.GetElapsedTime(started);
        foreach (var tester in testers)
        {
            var status = await tester.StatusAsync(cancellationToken);
            if (status.State != ProjectionStates.Running || status.Rebuild is null || status.Rebuild.Events != events)
            {
                throw new InvalidOperationException($"{status.Name} rebuilt {status.Rebuild?.Events} of {events} events ({status.State}).");
            }

            context.Log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {status.Name}: {status.Rebuild.EventsPerSecond:N0} events/s until its swap"));
        }

        // Baseline: the same number of rows written with binary COPY into a plain table.
        await using (var create = dataSource.CreateCommand("CREATE UNLOGGED TABLE IF NOT EXISTS copy_baseline (tenant_id text, row_key text, row_data jsonb, n integer)"))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var json = """{"caseId":"case-0000001","status":"resolved","priority":"normal","team":"team-1","assignee":"agent-1"}""";
        started = Stopwatch.GetTimestamp();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var importer = await connection.BeginBinaryImportAsync("COPY copy_baseline (tenant_id, row_key, row_data, n) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var i = 0; i < events; i++)
            {
                await importer.StartRowAsync(cancellationToken);
                importer.Write("boston", NpgsqlDbType.Text);
                importer.Write("case-" + i, NpgsqlDbType.Text);
                importer.Write(json, NpgsqlDbType.Jsonb);
                importer.Write(i, NpgsqlDbType.Integer);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        var baselineWall = Stopwatch.GetElapsedTime(started);
        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("log events rebuilt into 2 projections in one pass", events, oursWall, rebuilds.Latencies, "events/s"),
            new Measurement("rows by binary COPY", events, baselineWall, null, "rows/s"),
            $"{events:N0} log events, {cases:N0} cases, case summary + work queue rebuilt in one pass; rate = log events / wall (each event counted once); latency = the whole rebuild");
    }
}
