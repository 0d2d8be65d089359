using System.Text.Json;
using EventCase.Cases.Calendars;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Resolving;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.Cases.Sla;
using EventCase.Cases.Tests.Sla;
using EventCase.Cases.Tests.Sla.Oracle;
using EventCase.EventStore;
using EventCase.EventStore.Projections.Testing;
using EventCase.Testing;
using Npgsql;
using NodaTime;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>
/// Generated cases (<see cref="SlaScenarios"/>), each in an agency of its own with its own calendars over time, appended
/// event by event with the SLA clocks and the statistics' case facts (async), the case summary and the work queue (inline)
/// registered.
/// </summary>
public sealed class SlaReadModelOracleFixture : DatabaseFixture
{
    private const int CasesPerZone = 12;

    internal List<(string Agency, SlaScenario Scenario)> Cases { get; } = [];

    public IReadOnlyList<ProjectionTester> Testers { get; private set; } = [];

    public IAgencyCalendars Calendars { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        foreach (var zone in SlaScenarios.Zones)
        {
            var scenarios = new SlaScenarios(zone.Length * 7919);
            for (var i = 0; i < CasesPerZone; i++)
            {
                Cases.Add(($"agency-{Cases.Count:00}", scenarios.Next(zone)));
            }
        }

        Calendars = new ScenarioCalendars(Cases.ToDictionary(c => c.Agency, c => c.Scenario.Calendars.ToProduct(), StringComparer.Ordinal));
        Testers = await ProjectionTester.CreateManyAsync(
            DataSource,
            ScriptedStoreFixture.Registry(),
            [new SlaClockProjection(Calendars), new CaseSummaryProjection(Calendars), new WorkQueueProjection(Calendars), new CaseFactsProjection(Calendars)],
            cancellationToken: cancellationToken);
        foreach (var (agency, scenario) in Cases)
        {
            foreach (var @event in scenario.Events)
            {
                await Testers[0].AppendAsync(new StreamName(agency, scenario.Events[0].CaseId.Value), @event);
            }
        }

        foreach (var tester in Testers)
        {
            await tester.CatchUpAsync(cancellationToken);
        }
    }

    /// <summary>Each agency's calendars over time, as the reference data holds them after the last change.</summary>
    private sealed class ScenarioCalendars(IReadOnlyDictionary<string, CalendarHistory> histories) : IAgencyCalendars
    {
        public BusinessCalendar For(string agency) => histories[agency].Current;

        public CalendarHistory HistoryFor(string agency) => histories[agency];
    }
}

public sealed class SlaReadModelOracleTests(SlaReadModelOracleFixture fixture) : IClassFixture<SlaReadModelOracleFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_stored_due_instant_breach_and_pause_of_every_case_agree_with_the_oracle_at_its_last_event()
    {
        var summaries = new CaseSummaryQueries(fixture.Testers[1].Store);
        foreach (var (agency, scenario) in fixture.Cases)
        {
            var caseId = scenario.Events[0].CaseId.Value;
            var expected = scenario.Oracle().At(scenario.Events[^1].At);

            var clock = await StoredClockAsync(agency, caseId);
            var summary = (await summaries.GetAsync(agency, caseId, Ct))!;
            var queued = await fixture.Testers[2].QueryAsync(
                $"SELECT sla_due, sla_breached_at FROM {fixture.Testers[2].Table()} WHERE tenant_id = $1 AND row_key = $2", agency, caseId);

            // The timeline folded event by event into the rows is the domain's fold of the whole history.
            var timeline = SlaTimeline.FromHistory(scenario.Events);
            Assert.Equal((timeline.Started, timeline.StoppedAt), (clock.Sla.Started, clock.Sla.StoppedAt));
            Assert.Equal(timeline.Pauses, clock.Sla.Pauses);
            Assert.Equal(timeline.Pauses, summary.Sla.Pauses);
            Assert.True(
                (expected.Due, expected.BreachedAt, expected.IsPaused) == (clock.Due, clock.BreachedAt, clock.Paused),
                $"{scenario}\nsla_clocks: expected {expected}, got due {clock.Due} breached {clock.BreachedAt} paused {clock.Paused}");
            Assert.True(
                (expected.Due, expected.BreachedAt) == (summary.SlaDue, summary.SlaBreachedAt),
                $"{scenario}\ncase_summary: expected {expected}, got due {summary.SlaDue} breached {summary.SlaBreachedAt}");
            foreach (var row in queued)
            {
                Assert.Equal(expected.Due?.ToDateTimeUtc(), row["sla_due"] as DateTime?);
                Assert.Equal(expected.BreachedAt?.ToDateTimeUtc(), row["sla_breached_at"] as DateTime?);
            }
        }
    }

    [Fact]
    public async Task A_clock_read_from_the_read_model_at_any_instant_agrees_with_the_oracle()
    {
        var queries = new SlaClockQueries(fixture.Testers[0].Store, fixture.Calendars);
        foreach (var (agency, scenario) in fixture.Cases)
        {
            var oracle = scenario.Oracle();
            foreach (var now in scenario.Probes.Concat(oracle.Due is { } due ? [due - Duration.FromMinutes(1), due, due + Duration.FromMinutes(1)] : []))
            {
                var view = (await queries.GetAsync(agency, scenario.Events[0].CaseId.Value, now, Ct))!;
                var got = new SlaClock(view.Target, view.Started, view.Elapsed, view.Remaining, view.Due, view.BreachedAt, view.IsPaused, view.StoppedAt, view.Pauses);

                SlaClockOracleTests.AssertSame(oracle.At(now), got, $"{scenario} read at {now}");
            }
        }
    }

    [Fact]
    public async Task After_its_last_event_a_summary_shows_a_case_breached_exactly_when_the_oracle_does()
    {
        var summaries = new CaseSummaryQueries(fixture.Testers[1].Store);
        foreach (var (agency, scenario) in fixture.Cases)
        {
            var oracle = scenario.Oracle();
            var summary = (await summaries.GetAsync(agency, scenario.Events[0].CaseId.Value, Ct))!;
            var last = scenario.Events[^1].At;
            foreach (var now in scenario.Probes.Concat(oracle.Due is { } due ? [due, due + Duration.FromMinutes(1)] : []).Where(t => t >= last))
            {
                var expected = oracle.At(now).BreachedAt;
                Assert.True(
                    (expected is not null) == summary.IsSlaBreached(now) && expected == summary.WithSlaBreachAsOf(now).SlaBreachedAt,
                    $"{scenario} at {now}: expected breached at {expected}, summary says {summary.IsSlaBreached(now)} ({summary.WithSlaBreachAsOf(now).SlaBreachedAt})");
            }
        }
    }

    [Fact]
    public async Task Breaching_soon_lists_a_case_exactly_when_the_oracle_has_it_running_and_due_within_the_window()
    {
        var queries = new SlaClockQueries(fixture.Testers[0].Store, fixture.Calendars);
        var window = Duration.FromDays(2);
        foreach (var (agency, scenario) in fixture.Cases)
        {
            var oracle = scenario.Oracle();
            var last = scenario.Events[^1].At;
            foreach (var now in scenario.Probes.Concat(oracle.Due is { } due ? [due - window, due, due + Duration.FromMinutes(1)] : []).Where(t => t >= last))
            {
                var reading = oracle.At(now);
                var expected = scenario.Stopped is null && !reading.IsPaused && reading.Due is { } d && d >= now && d <= now + window;

                var listed = await queries.BreachingWithinAsync(agency, window, now, cancellationToken: Ct);

                Assert.True(expected == (listed.Count == 1), $"{scenario} at {now}: oracle {reading}, listed {listed.Count}");
            }
        }
    }

    [Fact]
    public async Task The_statistics_count_business_resolution_time_and_a_met_target_as_the_oracle_does()
    {
        var facts = fixture.Testers[3];
        var resolvedCases = 0;
        foreach (var (agency, scenario) in fixture.Cases)
        {
            var rows = await facts.QueryAsync($"SELECT row_data::text AS data FROM {facts.Table()} WHERE tenant_id = $1 AND row_key = $2", agency, scenario.Events[0].CaseId.Value);
            var row = JsonSerializer.Deserialize<CaseFactsRow>((string)rows.Single()["data"]!, facts.Store.Serializer.Options)!;
            if (scenario.Events.OfType<CaseResolved>().FirstOrDefault() is not { } first || (scenario.Stopped is { } stop && stop < first.At))
            {
                Assert.Null(row.FirstResolvedAt);
                continue;
            }

            resolvedCases++;
            // Business time from opening to the first resolution, waits on the citizen included; the target met when
            // its deadline was not passed by then.
            var businessHours = scenario.Calendars.WorkingTimeBetween(scenario.Started, first.At).TotalHours;
            var met = scenario.Oracle().Due is not { } due || due >= first.At;
            Assert.True(
                (first.At, businessHours, met) == (row.FirstResolvedAt, row.BusinessResolutionHours, row.MetSla),
                $"{scenario}\nexpected first resolution {first.At}, {businessHours} business hours, met {met}; got {row.FirstResolvedAt}, {row.BusinessResolutionHours}, {row.MetSla}");
        }

        Assert.True(resolvedCases > 10);
    }

    [Fact]
    public async Task Rebuilt_read_models_store_the_same_clocks_as_the_live_fold()
    {
        var before = await AllAsync();

        await ProjectionTester.RebuildTogetherAsync(fixture.Testers, Ct);

        Assert.Equal(before, await AllAsync());
    }

    private async Task<List<string>> AllAsync()
    {
        var rows = new List<string>();
        foreach (var tester in fixture.Testers)
        {
            foreach (var row in await tester.QueryAsync($"SELECT tenant_id, row_key, row_data::text AS data FROM {tester.Table()} ORDER BY tenant_id, row_key"))
            {
                rows.Add($"{row["tenant_id"]}/{row["row_key"]}: {row["data"]}");
            }
        }

        return rows;
    }

    private async Task<SlaClockRow> StoredClockAsync(string agency, string caseId)
    {
        var store = fixture.Testers[0].Store;
        await using var command = store.DataSource.CreateCommand($"SELECT row_data::text FROM {fixture.Testers[0].Table()} WHERE tenant_id = $1 AND row_key = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = agency });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        var json = (string)(await command.ExecuteScalarAsync(Ct))!;
        return JsonSerializer.Deserialize<SlaClockRow>(json, store.Serializer.Options)!;
    }
}
