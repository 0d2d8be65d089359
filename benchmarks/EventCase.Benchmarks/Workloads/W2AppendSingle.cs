using System.Diagnostics;
using EventCase.Benchmarks.Running;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// W2: single-event appends to existing streams with an expected version, 8 concurrent writers (each owning its own
/// streams, as commands on different cases do). Baseline: plain single-row INSERT transactions with 8 writers.
/// </summary>
internal sealed class W2AppendSingle : IWorkload
{
    private const int Writers = 8;

    public string Id => "W2";

    public string Name => "append-single";

    public async Task<WorkloadResult> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var appends = context.Scaled(5_000, minimum: 80);
        var streams = Math.Max(Writers * 10, appends / 5);
        await using var dataSource = await context.CreateDatabaseAsync("w2", cancellationToken);
        var store = new PostgresEventStore(dataSource, CaseEvents.CreateSerializer());
        await store.MigrateAsync(cancellationToken);
        await W1AppendBatched.CreateBaselineTableAsync(dataSource, cancellationToken);
        await CaseScripts.LoadAsync(store, streams, 0, context.Log, cancellationToken);
        var versions = Enumerable.Repeat(10L, streams).ToArray();
        var serializer = store.Serializer;
        var (noteType, noteJson) = serializer.SerializeData(new NoteAdded(CaseScripts.CaseIdFor(0), NoteVisibility.Internal, "Called the citizen back.", CaseScripts.Start));
        var metadataJson = serializer.SerializeMetadata(CaseScripts.Metadata);
        var baselineVersion = 0L;

        async Task Ours(int writer, int count, LatencyRecorder recorder)
        {
            for (var i = 0; i < count; i++)
            {
                var stream = writer + (Writers * (i % (streams / Writers)));
                var expected = versions[stream];
                var note = new NoteAdded(CaseScripts.CaseIdFor(stream), NoteVisibility.Internal, "Called the citizen back.", CaseScripts.Start);
                await recorder.TimeAsync(() => store.AppendToStreamAsync(
                    CaseScripts.StreamFor(stream), CaseStreams.StreamType, ExpectedVersion.Exactly(expected),
                    [new NewEvent(Guid.CreateVersion7(), note, CaseScripts.Metadata)], cancellationToken));
                versions[stream] = expected + 1;
            }
        }

        async Task Baseline(int writer, int count, LatencyRecorder recorder)
        {
            for (var i = 0; i < count; i++)
            {
                var version = Interlocked.Increment(ref baselineVersion);
                await recorder.TimeAsync(async () =>
                {
                    await using var command = dataSource.CreateCommand(
                        "INSERT INTO baseline_events (stream_id, version, event_type, data, metadata) VALUES ($1, $2, $3, $4, $5)");
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "writer-" + writer });
                    command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = noteType });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = noteJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = metadataJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
                    await command.ExecuteNonQueryAsync(cancellationToken);
                });
            }
        }

        // Warm-up both paths, until the JIT has settled.
        await context.WarmUpAsync(async _ =>
        {
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Ours(w, 20, new LatencyRecorder())));
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Baseline(w, 20, new LatencyRecorder())));
        });

        var ours = new LatencyRecorder();
        var baseline = new LatencyRecorder();
        var oursWall = TimeSpan.Zero;
        var baselineWall = TimeSpan.Zero;
        const int rounds = 4;
        var perRound = Math.Max(1, appends / Writers / rounds);
        for (var round = 0; round < rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => Ours(w, perRound, ours), cancellationToken)));
            oursWall += Stopwatch.GetElapsedTime(started);
            started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => Baseline(w, perRound, baseline), cancellationToken)));
            baselineWall += Stopwatch.GetElapsedTime(started);
        }

        var total = (long)perRound * Writers * rounds;
        return new WorkloadResult(
            $"{Id} {Name}",
            new Measurement("single-event appends with an expected version", total, oursWall, ours.Latencies, "appends/s"),
            new Measurement("single-row INSERT transactions", total, baselineWall, baseline.Latencies, "inserts/s"),
            $"{Writers} writers, {streams:N0} streams");
    }
}
