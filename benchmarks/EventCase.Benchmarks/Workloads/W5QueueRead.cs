using System.Text.Json;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.Benchmarks.Workloads;

/// <summary>W5: one page of 50 from a team's work queue with a million cases stored; p50/p99.</summary>
internal sealed class W5QueueRead : IWorkload
{
    public string Id => "W5";

    public string Name => "queue-read";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        // At least enough that every team still has more than a page queued (50 teams, 9 in 10 cases queued).
        var cases = context.Scaled(1_000_000, minimum: 5_000);
        var reads = context.Scaled(5_000, minimum: 100);
        await using var dataSource = await context.CreateDatabaseAsync("w5", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), projections: [new WorkQueueProjection(CaseScripts.Calendars)]);
        await store.MigrateAsync(cancellationToken);

        // A realistic row, made by the projection itself from a real case history, copied a million times with its id changed.
        var projection = new WorkQueueProjection(CaseScripts.Calendars);
        CaseSummaryRow? row = null;
        var version = 0;
        foreach (var e in CaseScripts.Lifecycle(0).Take(3))
        {
            row = projection.Apply(row, new RecordedEvent(++version, 1, CaseScripts.StreamFor(0), version, Guid.NewGuid(), store.Serializer.Registry.GetName(e.GetType()), store.Serializer.Registry.GetName(e.GetType()), e, CaseScripts.Metadata, CaseScripts.Start), null!);
        }

        var template = JsonSerializer.Serialize(row, store.Serializer.Options);
        await using (var insert = dataSource.CreateCommand(
            """
            INSERT INTO eventcase.work_queue
                (tenant_id, row_key, row_data, queued, team, assignee, urgency_rank, sort_due, status, service, priority,
                 escalation_level, sla_due, sla_breached_at, latitude, longitude)
            SELECT 'boston', 'case-' || lpad(g::text, 7, '0'), jsonb_set($1::jsonb, '{caseId}', to_jsonb('case-' || lpad(g::text, 7, '0'))), (g / 50) % 10 <> 0,
                   'team-' || (g % 50), CASE WHEN g % 3 = 0 THEN NULL ELSE 'agent-' || (g % 500) END,
                   (3 - (g / 7) % 4) * 4 + (3 - g % 4), timestamptz '2026-03-01' + (g % 100000) * interval '1 minute',
                   'assigned', 'streetlight-out', g % 4, (g / 7) % 4, timestamptz '2026-03-01' + (g % 100000) * interval '1 minute', NULL,
                   42.2 + (g % 1000) / 2000.0, -71.2 + (g % 997) / 2000.0
              FROM generate_series(1, $2) g;
            """))
        {
            insert.CommandTimeout = 900;
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = template, NpgsqlDbType = NpgsqlDbType.Jsonb });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = cases });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var analyze = dataSource.CreateCommand("VACUUM ANALYZE eventcase.work_queue"))
        {
            analyze.CommandTimeout = 900;
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var check = dataSource.CreateCommand("SELECT count(*) FROM eventcase.work_queue WHERE tenant_id = 'boston' AND queued"))
        {
            var queued = (long)(await check.ExecuteScalarAsync(cancellationToken))!;
            context.Log.WriteLine($"  {cases:N0} cases stored, {queued:N0} of them queued");
        }

        var queries = new WorkQueueQueries(store);
        var random = new Random(42);
        var now = CaseScripts.Start;
        async Task Page()
        {
            var team = new WorkQueueScope.TeamScope("team-" + random.Next(50));
            var first = await queries.PageAsync("boston", team, null, now, 50, null, cancellationToken);
            if (first.Items.Count != 50 || first.NextCursor is null)
            {
                throw new InvalidOperationException($"a team page held {first.Items.Count} items");
            }
        }

        for (var i = 0; i < 100; i++)
        {
            await Page();
        }

        var latencies = new LatencyRecorder();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < reads; i++)
        {
            await latencies.TimeAsync(Page);
        }

        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("team queue pages of 50", reads, System.Diagnostics.Stopwatch.GetElapsedTime(started), latencies.Latencies, "pages/s"),
            null,
            $"{cases:N0} cases in the queue table, 50 teams");
    }
}
