using System.Diagnostics;
using System.Globalization;
using EventCase.EventStore.Auditing;
using EventCase.EventStore.Schema;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Auditing;

/// <summary>
/// Not tests: measurements for docs/audit.md. The verification rate the issue asks for (≥ 100,000 events/s), on a store of a million events. Run it on
/// purpose: <c>dotnet test tests/EventCase.EventStore.Tests -- --filter-method "*Verification_rate*" --explicit only</c>
/// (or through VSTest with <c>--filter "FullyQualifiedName~VerificationRateMeasurement" -- xUnit.Explicit=only</c>).
/// </summary>
public sealed class VerificationRateMeasurement(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    private const int Streams = 10_000;
    private const int EventsPerStream = 100;

    [Fact(Explicit = true, Timeout = 1_800_000)]
    public async Task Verification_rate_on_a_store_of_a_million_events()
    {
        var output = TestContext.Current.TestOutputHelper!;
        var started = Stopwatch.GetTimestamp();
        // Through append_events itself, 100 events per append, 500 appends per transaction (each append holds an
        // advisory lock until commit): the same hashes an application's appends produce, without 10,000 round trips.
        for (var first = 0; first < Streams; first += 500)
        {
            await using var command = DataSource.CreateCommand(
                """
                SELECT count(*) FROM generate_series($1::int, $1::int + 499) AS s(n),
                LATERAL eventcase.append_events(
                    'rate', 'case-' || lpad(s.n::text, 6, '0'), 'case', 0,
                    ARRAY(SELECT gen_random_uuid() FROM generate_series(1, $2::int) WHERE s.n IS NOT NULL),
                    ARRAY(SELECT 'test.note-added.v1' FROM generate_series(1, $2::int)),
                    ARRAY(SELECT jsonb_build_object('thingId', 'case-' || s.n, 'text', 'note ' || i || ': the caller reports the streetlight at the corner is still out after the repair visit')
                            FROM generate_series(1, $2::int) AS i),
                    ARRAY(SELECT jsonb_build_object('actorId', 'agent-' || (i % 17), 'actorRole', 'agent', 'correlationId', gen_random_uuid()::text, 'channel', 'phone')
                            FROM generate_series(1, $2::int) AS i))
                """);
            command.Parameters.AddWithValue(first);
            command.Parameters.AddWithValue(EventsPerStream);
            await command.ExecuteScalarAsync(Ct);
        }

        foreach (var table in new[] { "events", "streams" })
        {
            await using var analyze = DataSource.CreateCommand($"VACUUM ANALYZE eventcase.{table}");
            await analyze.ExecuteNonQueryAsync(Ct);
        }

        output.WriteLine($"generated {Streams * EventsPerStream:N0} events in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");

        var rates = new List<double>();
        for (var run = 1; run <= 3; run++)
        {
            var report = await new AuditVerifier(Store).VerifyAllAsync(cancellationToken: Ct);
            Assert.True(report.IsIntact, string.Join("; ", report.Findings.Take(5)));
            Assert.Equal((long)Streams * EventsPerStream, report.EventsChecked);
            rates.Add(report.EventsPerSecond);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"run {run}: {report.EventsChecked:N0} events, {report.StreamsChecked:N0} streams in {report.Elapsed.TotalSeconds:F2} s = {report.EventsPerSecond:N0} events/s"));
        }

        rates.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: {rates[1]:N0} events/s"));
    }

    /// <summary>
    /// The server-side cost of hashing in append_events, without the commit (fsync) and round trip that dominate a real
    /// append and drown this cost in noise: the same appends (10 events each, as W1) against the function of
    /// migration 0001 and of 0003, alternating, in one transaction per round.
    /// </summary>
    [Fact(Explicit = true, Timeout = 1_800_000)]
    public async Task Append_function_cost_with_and_without_hashing()
    {
        var output = TestContext.Current.TestOutputHelper!;
        await SchemaMigrator.MigrateAsync(
            DataSource,
            "unhashed",
            PostgresEventStore.MigrationSet,
            PostgresEventStore.Migrations.Where(m => m.Version < 3).ToList(),
            new Dictionary<string, string> { ["__channel__"] = "unhashed_appended" },
            Ct);
        var times = new Dictionary<string, List<double>> { ["unhashed"] = [], ["eventcase"] = [] };
        const int appends = 1_000;
        for (var round = 0; round < 12; round++)
        {
            foreach (var schema in round % 2 == 0 ? new[] { "unhashed", "eventcase" } : ["eventcase", "unhashed"])
            {
                await using var command = DataSource.CreateCommand(
                    $"""
                     SELECT count(*) FROM generate_series(1, {appends}) AS s(n),
                     LATERAL {schema}.append_events(
                         'cost', 'r{round}-' || s.n, 'case', 0,
                         ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 10) WHERE s.n IS NOT NULL),
                         ARRAY(SELECT 'test.note-added.v1' FROM generate_series(1, 10)),
                         ARRAY(SELECT jsonb_build_object('thingId', 'case-' || s.n, 'text', 'note ' || i || ': the caller reports the streetlight at the corner is still out')
                                 FROM generate_series(1, 10) AS i),
                         ARRAY(SELECT jsonb_build_object('actorId', 'agent-' || (i % 17), 'actorRole', 'agent', 'correlationId', 'corr-' || s.n, 'channel', 'phone')
                                 FROM generate_series(1, 10) AS i))
                     """);
                var started = Stopwatch.GetTimestamp();
                await command.ExecuteScalarAsync(Ct);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (round > 0)
                {
                    times[schema].Add(elapsed.TotalMicroseconds / (appends * 10));
                }
            }
        }

        foreach (var (schema, perEvent) in times)
        {
            perEvent.Sort();
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{(schema == "unhashed" ? "0001 append_events (no hash)" : "0003 append_events (hash chain)")}: median {perEvent[perEvent.Count / 2]:F1} µs per event (runs: {string.Join(", ", perEvent.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))})"));
        }
    }
}
