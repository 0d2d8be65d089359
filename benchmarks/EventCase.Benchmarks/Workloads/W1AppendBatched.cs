using System.Diagnostics;
using System.Text;
using EventCase.Benchmarks.Running;
using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W1: new case streams of 10 events, one transaction per stream, one writer. Baseline: the same rows with plain
/// Npgsql into a plain indexed table, one multi-row INSERT per stream (its own transaction).
/// </summary>
internal sealed class W1AppendBatched : IWorkload
{
    public string Id => "W1";

    public string Name => "append-batched";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var streams = context.Scaled(10_000, minimum: 20);
        var block = Math.Max(10, streams / 20);
        await using var dataSource = await context.CreateDatabaseAsync("w1", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(cancellationToken);
        await CreateBaselineTableAsync(dataSource, cancellationToken);
        var serializer = store.Serializer;

        // Warm-up: prepared statements, pool, both sides, and the JIT until it has settled.
        var warmUpRound = Math.Min(200, streams);
        await context.WarmUpAsync(async round =>
        {
            for (var i = 0; i < warmUpRound; i++)
            {
                await AppendOursAsync(store, 1_000_000 + (round * warmUpRound) + i, cancellationToken);
                await InsertBaselineAsync(dataSource, serializer, 1_000_000 + (round * warmUpRound) + i, cancellationToken);
            }
        });

        // Alternate blocks of ours and the baseline, so drift (checkpoints, autovacuum) hits both alike.
        var ours = new LatencyRecorder();
        var baseline = new LatencyRecorder();
        var oursWall = TimeSpan.Zero;
        var baselineWall = TimeSpan.Zero;
        for (var start = 0; start < streams; start += block)
        {
            var end = Math.Min(streams, start + block);
            var started = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                var caseNumber = i;
                await ours.TimeAsync(() => AppendOursAsync(store, caseNumber, cancellationToken));
            }

            oursWall += Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                var caseNumber = i;
                await baseline.TimeAsync(() => InsertBaselineAsync(dataSource, serializer, caseNumber, cancellationToken));
            }

            baselineWall += Stopwatch.GetElapsedTime(started);
        }

        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("events appended", streams * 10L, oursWall, ours.Latencies, "events/s"),
            new Measurement("rows inserted (plain multi-row INSERT per stream)", streams * 10L, baselineWall, baseline.Latencies, "rows/s"),
            $"{streams:N0} streams x 10 events; latency is per stream (one transaction)");
    }

    private static Task<AppendResult> AppendOursAsync(PostgresEventStore store, int caseNumber, CancellationToken cancellationToken) =>
        store.AppendToStreamAsync(CaseScripts.StreamFor(caseNumber), CaseStreams.StreamType, ExpectedVersion.NoStream, CaseScripts.NewEvents(caseNumber), cancellationToken);

    internal static async Task CreateBaselineTableAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            CREATE TABLE baseline_events (
                position   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                stream_id  text   NOT NULL,
                version    bigint NOT NULL,
                event_type text   NOT NULL,
                data       jsonb  NOT NULL,
                metadata   jsonb  NOT NULL,
                UNIQUE (stream_id, version)
            )
            """);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static readonly string BaselineSql = BuildBaselineSql(10);

    private static string BuildBaselineSql(int rows)
    {
        var sql = new StringBuilder("INSERT INTO baseline_events (stream_id, version, event_type, data, metadata) VALUES ");
        for (var i = 0; i < rows; i++)
        {
            var p = (i * 3) + 2;
            sql.Append(i == 0 ? string.Empty : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"($1, {i + 1}, ${p}, ${p + 1}, ${p + 2})");
        }

        return sql.ToString();
    }

    private static async Task InsertBaselineAsync(NpgsqlDataSource dataSource, EventSerializer serializer, int caseNumber, CancellationToken cancellationToken)
    {
        var metadata = serializer.SerializeMetadata(CaseScripts.Metadata);
        await using var command = dataSource.CreateCommand(BaselineSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = CaseScripts.CaseIdFor(caseNumber).Value });
        foreach (var data in CaseScripts.Lifecycle(caseNumber))
        {
            var (type, json) = serializer.SerializeData(data);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = type });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Jsonb });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = metadata, NpgsqlDbType = NpgsqlDbType.Jsonb });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
