using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Replaying;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using NodaTime;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W6: a case's state at an instant in the middle of its history, read as <c>GET /cases/{id}/as-of</c> reads it (the
/// case's events with its hash chain verified over them, decision 0026, then replayed to the instant); p50/p99.
/// </summary>
internal sealed class W6AsOf : IWorkload
{
    public string Id => "W6";

    public string Name => "as-of";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var cases = context.Scaled(10_000, minimum: 100);
        var reads = context.Scaled(5_000, minimum: 100);
        await using var dataSource = await context.CreateDatabaseAsync("w6", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(cancellationToken);
        await CaseScripts.LoadAsync(store, cases, 0, context.Log, cancellationToken);
        await using (var analyze = dataSource.CreateCommand("ANALYZE eventcase.events"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var verifier = new AuditVerifier(store);
        var random = new Random(7);
        async Task AsOf()
        {
            var i = random.Next(cases);
            var middle = ((CaseEvent)CaseScripts.Lifecycle(i)[4]).At + Duration.FromMinutes(30);
            var read = await verifier.ReadStreamAsync(new StreamName(CaseScripts.Agency.Value, CaseScripts.CaseIdFor(i).Value), cancellationToken);
            if (read.Finding is { } finding)
            {
                throw new InvalidOperationException($"case {i}'s chain does not verify: {finding}");
            }

            var point = CaseReplay.AtInstant(read.Events, middle);
            if (point.Version != 5)
            {
                throw new InvalidOperationException($"as-of reached version {point.Version}, expected 5");
            }
        }

        for (var i = 0; i < 200; i++)
        {
            await AsOf();
        }

        var latencies = new LatencyRecorder();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < reads; i++)
        {
            await latencies.TimeAsync(AsOf);
        }

        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("case states at an instant mid-history", reads, System.Diagnostics.Stopwatch.GetElapsedTime(started), latencies.Latencies, "reads/s"),
            null,
            $"{cases:N0} cases of 10 events, each read with its hash chain verified, as the as-of route reads it");
    }
}
