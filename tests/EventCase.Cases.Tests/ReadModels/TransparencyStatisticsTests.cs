using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore.Projections;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class CaseFactsFixture : ScriptedStoreFixture
{
    protected override Projection CreateProjection() => new CaseFactsProjection(BostonCalendars);
}

public sealed class TransparencyStatisticsTests(CaseFactsFixture fixture) : IClassFixture<CaseFactsFixture>
{
    private static readonly LocalDate From = new(2026, 3, 1);
    private static readonly LocalDate To = new(2026, 4, 5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TransparencyStatisticsQueries Queries => new(fixture.Tester.Store, BostonCalendars);

    public static TheoryData<StatisticsGranularity> Granularities() => [StatisticsGranularity.Day, StatisticsGranularity.Week, StatisticsGranularity.Month];

    [Theory]
    [MemberData(nameof(Granularities))]
    public async Task Statistics_equal_figures_computed_independently_from_the_raw_events(StatisticsGranularity granularity)
    {
        var actual = await Queries.ComputeAsync(Boston, granularity, From, To, Ct);

        var expected = IndependentStatistics.Compute(Boston, Calendar, [.. ByCase().Select(g => g.ToList())], granularity, From, To);
        IndependentStatistics.AssertSame(expected, actual);
    }

    [Fact]
    public async Task Monthly_statistics_use_the_agency_time_zone_and_match_the_golden_files_in_JSON_and_CSV()
    {
        var monthly = await Queries.ComputeAsync(Boston, StatisticsGranularity.Month, From, To, Ct);

        // case-009 opened at 22:00 on 31 March in Boston (02:00Z on 1 April): a March case.
        var marchPotholes = monthly.Single(r => r.Service == "pothole" && r.PeriodStart == new LocalDate(2026, 3, 1));
        Assert.Equal((7L, 3L, 1L, 2L), (marchPotholes.Opened, marchPotholes.Resolved, marchPotholes.Closed, marchPotholes.BacklogAtEnd));
        // First resolutions in March: case-001 11 h, case-008 14 h and case-002 60 h of business time (its wait on the
        // citizen included; it missed its SLA); satisfaction 5, 4 and 2.
        Assert.Equal(14, marchPotholes.MedianBusinessResolutionHours);
        Assert.Equal(2.0 / 3, marchPotholes.SlaComplianceRate!.Value, 9);
        Assert.Equal(1.0 / 3, marchPotholes.ReopenRate!.Value, 9);
        Assert.Equal(11.0 / 3, marchPotholes.AverageSatisfaction!.Value, 9);
        Assert.Equal(3, marchPotholes.SatisfactionResponses);
        await Golden.VerifyAsync(TransparencyReport.ToJson(monthly), "monthly-json");
        await Golden.VerifyAsync(TransparencyReport.ToCsv(monthly).Split("\r\n"), "monthly-csv");
    }

    [Fact]
    public void CSV_quotes_cells_with_commas_and_quotes_and_leaves_missing_figures_empty()
    {
        var row = new TransparencyStatisticsRow("boston", "pot,\"hole\"", StatisticsGranularity.Day, new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 2),
            1, 0, 0, 1, null, null, null, null, null, null, null, 0);

        var csv = TransparencyReport.ToCsv([row]).Split("\r\n");

        Assert.Equal("boston,\"pot,\"\"hole\"\"\",day,2026-03-01,2026-03-02,1,0,0,1,,,,,,,,0", csv[1]);
    }

    [Theory]
    [InlineData("-A1+B1", "'-A1+B1")]
    [InlineData("=cmd", "'=cmd")]
    [InlineData("+1", "'+1")]
    [InlineData("@SUM", "'@SUM")]
    [InlineData("pot-hole", "pot-hole")]
    public void CSV_keeps_a_cell_a_spreadsheet_would_run_as_a_formula_as_text(string service, string cell)
    {
        var row = new TransparencyStatisticsRow("-agency", service, StatisticsGranularity.Day, new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 2),
            1, 0, 0, 1, null, null, null, null, null, null, null, 0);

        var csv = TransparencyReport.ToCsv([row]).Split("\r\n");

        Assert.Equal($"'-agency,{cell},day,2026-03-01,2026-03-02,1,0,0,1,,,,,,,,0", csv[1]);
    }

    [Fact]
    public void Withholding_leaves_out_the_figures_of_fewer_cases_than_the_threshold_and_keeps_every_count()
    {
        // Two cases first resolved in the day, one of them scored: a median of two and one citizen's score.
        var row = new TransparencyStatisticsRow("boston", "pothole", StatisticsGranularity.Day, new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 2),
            5, 2, 1, 7, 10.5, 19.7, 4.0, 8.0, 0.5, 0.5, 2.0, 1);

        Assert.Equal(row, row.WithholdingFiguresOfFewerThan(1));
        Assert.Equal(row with { AverageSatisfaction = null }, row.WithholdingFiguresOfFewerThan(2));
        Assert.Equal(
            new TransparencyStatisticsRow("boston", "pothole", StatisticsGranularity.Day, new LocalDate(2026, 3, 1), new LocalDate(2026, 3, 2),
                5, 2, 1, 7, null, null, null, null, null, null, null, 1),
            row.WithholdingFiguresOfFewerThan(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => row.WithholdingFiguresOfFewerThan(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => row.WithholdingFiguresOfFewerThan(TransparencyStatisticsRow.MaximumWithholdingThreshold + 1));
    }
}
