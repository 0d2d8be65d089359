using EventCase.Cases.Cancelling;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Transferring;
using NodaTime;
using NodaTime.Text;
using static EventCase.Cases.Tests.ReadModels.StatisticsOracle;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class TransparencyStatisticsOracleTests(OracleCasesFixture fixture) : IClassFixture<OracleCasesFixture>
{
    public static TheoryData<string, StatisticsGranularity, string, string> Ranges() => new()
    {
        // A year by day, week and month: empty periods before the first case, cases still open after the last day.
        { Santiago, StatisticsGranularity.Day, "2025-07-01", "2026-06-30" },
        { Santiago, StatisticsGranularity.Week, "2025-07-01", "2026-06-30" },
        { Santiago, StatisticsGranularity.Month, "2025-07-01", "2026-06-30" },
        { Valparaiso, StatisticsGranularity.Day, "2025-07-01", "2026-06-30" },
        { Valparaiso, StatisticsGranularity.Week, "2025-07-01", "2026-06-30" },
        { Valparaiso, StatisticsGranularity.Month, "2025-07-01", "2026-06-30" },
        // Short ranges over the clock changes, starting mid-week and mid-month with cases opened before them.
        { Santiago, StatisticsGranularity.Day, "2026-04-03", "2026-04-07" },
        { Santiago, StatisticsGranularity.Day, "2025-09-05", "2025-09-09" },
        { Santiago, StatisticsGranularity.Week, "2025-09-03", "2025-09-10" },
        { Santiago, StatisticsGranularity.Month, "2026-04-05", "2026-04-05" },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task Statistics_of_generated_histories_equal_an_oracle_of_the_documented_definitions(string agency, StatisticsGranularity granularity, string from, string to)
    {
        var (first, last) = (LocalDatePattern.Iso.Parse(from).Value, LocalDatePattern.Iso.Parse(to).Value);
        var calendar = agency == Santiago ? SantiagoCalendar : ValparaisoCalendar;

        var actual = await new TransparencyStatisticsQueries(fixture.Tester.Store, StatisticsOracle.Calendars).ComputeAsync(agency, granularity, first, last, TestContext.Current.CancellationToken);

        var expected = Expected(agency, calendar, fixture.Cases, granularity, first, last);
        IndependentStatistics.AssertSame(expected, actual);
        Assert.Contains(actual, r => r.Opened > 0);
    }

    [Fact]
    public void The_generated_histories_reach_the_cases_the_oracle_is_for()
    {
        var zone = SantiagoCalendar.Zone;
        var events = fixture.Cases.SelectMany(c => c).ToList();
        // Events exactly at a local midnight, some on the days the clocks change.
        Assert.Contains(events, e => e.At == zone.AtStartOfDay(new LocalDate(2025, 9, 7)).ToInstant() || e.At == zone.AtStartOfDay(new LocalDate(2026, 4, 5)).ToInstant());
        Assert.True(events.Count(e => e.At.InZone(zone).TimeOfDay == LocalTime.Midnight) > 100);
        Assert.Contains(fixture.Cases, c => c.Any(e => e is CaseReopened));
        Assert.Contains(fixture.Cases, c => c[^1] is CaseTransferred);
        Assert.Contains(fixture.Cases, c => c[^1] is CaseMarkedDuplicate);
        Assert.Contains(fixture.Cases, c => c[^1] is CaseCancelled);
        Assert.Contains(fixture.Cases, c => c[^1] is CaseOpened || c[^1] is InformationRequested);
    }
}
