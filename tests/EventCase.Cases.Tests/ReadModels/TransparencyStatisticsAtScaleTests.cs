using EventCase.Cases.ReadModels.TransparencyStatistics;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class TransparencyStatisticsAtScaleTests(ManyCasesFixture fixture) : IClassFixture<ManyCasesFixture>
{
    public static TheoryData<StatisticsGranularity> Granularities() => [StatisticsGranularity.Day, StatisticsGranularity.Week, StatisticsGranularity.Month];

    [Theory]
    [MemberData(nameof(Granularities))]
    public async Task Statistics_of_ten_thousand_cases_over_eight_months_equal_an_independent_computation_and_take_seconds_not_minutes(StatisticsGranularity granularity)
    {
        // The figures of every service for every period (24,300 rows by day), which took minutes when every figure of
        // every row was a query of its own over all of the agency's cases; ten seconds leave a busy machine its margin.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));

        var actual = await new TransparencyStatisticsQueries(fixture.Tester.Store, BostonCalendars)
            .ComputeAsync(Boston, granularity, ManyCasesFixture.FirstDay, ManyCasesFixture.LastDay, deadline.Token);

        var expected = IndependentStatistics.Compute(Boston, Calendar, fixture.Cases, granularity, ManyCasesFixture.FirstDay, ManyCasesFixture.LastDay);
        IndependentStatistics.AssertSame(expected, actual);
        Assert.Contains(actual, r => r.BacklogAtEnd > 0 && r.Resolved > 1 && r.ReopenRate > 0);
    }
}
