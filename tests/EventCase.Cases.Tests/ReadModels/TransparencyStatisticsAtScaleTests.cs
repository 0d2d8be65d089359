using EventCase.Cases.ReadModels.TransparencyStatistics;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class TransparencyStatisticsAtScaleTests(ManyCasesFixture fixture) : IClassFixture<ManyCasesFixture>
{
    public static TheoryData<StatisticsGranularity> Granularities() => [StatisticsGranularity.Day, StatisticsGranularity.Week, StatisticsGranularity.Month];

    [Theory]
    [MemberData(nameof(Granularities))]
    public async Task Statistics_of_ten_thousand_cases_over_eight_months_equal_an_independent_computation(StatisticsGranularity granularity)
    {
        // The figures of every service for every period (24,300 rows by day). How long this takes is a benchmark's
        // question, not a test's: one pass over the cases took about a second here where a query per figure took minutes.
        var actual = await new TransparencyStatisticsQueries(fixture.Tester.Store, BostonCalendars)
            .ComputeAsync(Boston, granularity, ManyCasesFixture.FirstDay, ManyCasesFixture.LastDay, TestContext.Current.CancellationToken);

        var expected = IndependentStatistics.Compute(Boston, Calendar, fixture.Cases, granularity, ManyCasesFixture.FirstDay, ManyCasesFixture.LastDay);
        IndependentStatistics.AssertSame(expected, actual);
        Assert.Contains(actual, r => r.BacklogAtEnd > 0 && r.Resolved > 1 && r.ReopenRate > 0);
    }
}
