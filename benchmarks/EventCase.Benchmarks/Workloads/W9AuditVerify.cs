using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W9: verify the hash chain of the whole store. Baseline: reading the same rows (the columns the verifier hashes)
/// with plain Npgsql, without hashing.
/// </summary>
internal sealed class W9AuditVerify : IWorkload
{
    public string Id => "W9";

    public string Name => "audit-verify";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var cases = context.Scaled(100_000, minimum: 100);
        await using var dataSource = await context.CreateDatabaseAsync("w9", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(cancellationToken);
        await CaseScripts.LoadAsync(store, cases, 0, context.Log, cancellationToken);
        await using (var analyze = dataSource.CreateCommand("ANALYZE eventcase.events; ANALYZE eventcase.streams"))
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        var verifier = new AuditVerifier(store);
        await verifier.VerifyAllAsync(cancellationToken: cancellationToken);
        var report = await verifier.VerifyAllAsync(cancellationToken: cancellationToken);
        if (!report.IsIntact)
        {
            throw new InvalidOperationException("the freshly written store does not verify");
        }

        var started = Stopwatch.GetTimestamp();
        long rows = 0;
        await using (var read = dataSource.CreateCommand(
            "SELECT tenant_id, stream_id, stream_version, event_id, event_type, recorded_at, data::text, metadata::text, hash FROM eventcase.events ORDER BY tenant_id, stream_id, stream_version"))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                _ = reader.GetString(6);
                _ = reader.GetString(7);
                rows++;
            }
        }

        var baseline = Stopwatch.GetElapsedTime(started);
        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("events verified", report.EventsChecked, report.Elapsed, null, "events/s"),
            new Measurement("rows read without hashing", rows, baseline, null, "rows/s"),
            $"{report.StreamsChecked:N0} streams; second of two runs");
    }
}
