using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Resolving;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using Npgsql;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W3: load cases one after another, as the command handler does to decide a command: the latest snapshot and the
/// events after it, folded. Baseline: as many single-row primary-key SELECTs.
/// </summary>
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
        // Each case's first seven events are written in bulk, its last three as commands through the handler, as a
        // live system writes them: the handler snapshots a case when its version crosses 8 (its default), so a load
        // reads the snapshot at version 8 and the two events after it.
        await CaseScripts.LoadAsync(store, cases, 0, 7, context.Log, cancellationToken);
        var writer = new CaseCommandHandler(store);
        var commander = new CommandContext(CaseScripts.Agency, "agent-17", "agent", "corr-bench", "phone", null);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < cases)
                {
                    var history = CaseScripts.Lifecycle(i);
                    var id = CaseScripts.CaseIdFor(i);
                    CaseCommand[] commands =
                    [
                        new AddNote(id, NoteVisibility.Public, ((NoteAdded)history[7]).Text, history[7].At),
                        new EscalateCase(id, 2, ((CaseEscalated)history[8]).Reason, history[8].At),
                        new ResolveCase(id, "repaired", ((CaseResolved)history[9]).PublicSummary, history[9].At),
                    ];
                    foreach (var command in commands)
                    {
                        if (await writer.HandleAsync(command, commander, cancellationToken) is not CaseCommandResult.Accepted)
                        {
                            throw new InvalidOperationException($"case {i}: {command.Action} was not accepted");
                        }
                    }
                }
            },
            cancellationToken)));

        await using (var analyze = dataSource.CreateCommand("ANALYZE eventcase.events; ANALYZE eventcase.streams"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var handler = new CaseCommandHandler(store);
        async Task Load(int i)
        {
            var loaded = await handler.LoadStateAsync(CaseScripts.Agency, CaseScripts.CaseIdFor(i), cancellationToken);
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
            new Measurement("cases loaded (10 events each: the snapshot at 8, then 2 events)", cases, oursWall, ours.Latencies, "cases/s"),
            new Measurement("single-row primary-key SELECTs", cases, baselineWall, baseline.Latencies, "selects/s"),
            $"{cases:N0} cases");
    }
}
