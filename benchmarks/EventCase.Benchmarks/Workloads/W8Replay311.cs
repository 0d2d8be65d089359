using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Cases.ReadModels;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W8: import the real Boston 2015 file (121k cases with their lifecycles) end to end, then run the service's
/// projection daemon until every projection has been built from the log and caught up.
/// </summary>
internal sealed class W8Replay311 : IWorkload
{
    public string Id => "W8";

    public string Name => "replay-311";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var file = Path.Combine(root, "..", "shared", "data", "311", "boston_311_2015.csv");
        var mapping = await ImportMapping.LoadAsync(Path.Combine(root, "mappings", "boston_311_2015.json"), cancellationToken);
        await using var dataSource = await context.CreateDatabaseAsync("w8", cancellationToken);
        var importStore = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await importStore.MigrateAsync(cancellationToken);
        var maxRows = context.Scale >= 1 ? (long?)null : (long)Math.Max(100, 121_145 * context.Scale);
        var summary = await new CsvImporter(importStore).ImportAsync(file, mapping, new AgencyId("boston"), new ImportOptions { MaxRows = maxRows }, cancellationToken);
        context.Log.WriteLine($"  imported {summary.Imported + summary.Flagged:N0} cases ({summary.EventsWritten:N0} events) in {summary.Elapsed.TotalSeconds:F1} s; {summary.Rejected:N0} rejected");

        // The service's projections, registered after the import: the daemon builds each from position 0.
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CaseScripts.Calendars));
        await store.MigrateAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        TimeSpan catchUp;
        int checkedCases;
        using (var daemon = new ProjectionDaemon(store, new ProjectionDaemonOptions { PollInterval = TimeSpan.FromMilliseconds(100) }))
        {
            await daemon.StartAsync(cancellationToken);
            await CaseScripts.WaitForReadModelsAsync(store, cancellationToken);
            catchUp = Stopwatch.GetElapsedTime(started);

            // The whole rebuilds' rows, checked against each case's own fold (decision 0022): real lifecycles,
            // reopened, transferred and duplicated, rows from one pass over the log against rows from one stream.
            checkedCases = await CheckSampleAsync(store, dataSource, context.Scaled(500, minimum: 20), cancellationToken);
            await daemon.StopAsync(cancellationToken);
        }

        var cases = summary.Imported + summary.Flagged;
        var seconds = summary.Elapsed.TotalSeconds;
        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("events imported", summary.EventsWritten, TimeSpan.FromSeconds(seconds), null, "events/s"),
            null,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{summary.RowsRead:N0} rows, {cases:N0} cases ({cases / seconds:N0} cases/s), {summary.Rejected:N0} rejected; all 6 projections built and caught up {catchUp.TotalSeconds:F1} s later ({summary.EventsWritten * 6 / catchUp.TotalSeconds:N0} projection-events/s); {checkedCases:N0} random cases' rows agree with their own fold"));
    }

    /// <summary>Dry-run stream rebuilds of <paramref name="count"/> random cases: any row that differs fails the run.</summary>
    private static async Task<int> CheckSampleAsync(PostgresEventStore store, Npgsql.NpgsqlDataSource dataSource, int count, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using (var pick = dataSource.CreateCommand("SELECT stream_id FROM eventcase.streams WHERE tenant_id = 'boston' AND stream_type = 'case' ORDER BY random() LIMIT $1"))
        {
            pick.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = count });
            await using var reader = await pick.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
        }

        foreach (var id in ids)
        {
            var results = await store.Projections.RebuildStreamAsync(new StreamName("boston", id), new StreamRebuildOptions { DryRun = true }, cancellationToken);
            if (results.FirstOrDefault(r => r.Changed) is { } wrong)
            {
                throw new InvalidOperationException($"case {id}: the rows of {wrong.Projection} differ from a fold of its events ({wrong})");
            }
        }

        return ids.Count;
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EventCase.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("run the benchmarks from the repository");
    }
}
