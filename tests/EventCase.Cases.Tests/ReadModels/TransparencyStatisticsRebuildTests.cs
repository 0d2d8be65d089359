using EventCase.Cases.ReadModels.TransparencyStatistics;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class TransparencyStatisticsRebuildTests(ManyCasesFixture fixture) : IClassFixture<ManyCasesFixture>
{
    [Fact]
    public async Task A_rebuild_of_the_case_facts_gives_the_statistics_the_live_build_gave_for_every_granularity()
    {
        var ct = TestContext.Current.CancellationToken;
        var queries = new TransparencyStatisticsQueries(fixture.Tester.Store, BostonCalendars);
        var granularities = new[] { StatisticsGranularity.Day, StatisticsGranularity.Week, StatisticsGranularity.Month };
        var live = new List<IReadOnlyList<TransparencyStatisticsRow>>();
        foreach (var granularity in granularities)
        {
            live.Add(await queries.ComputeAsync(Boston, granularity, ManyCasesFixture.FirstDay, ManyCasesFixture.LastDay, ct));
        }

        await fixture.Tester.RebuildAsync(ct);

        foreach (var (granularity, before) in granularities.Zip(live))
        {
            Assert.Equal(before, await queries.ComputeAsync(Boston, granularity, ManyCasesFixture.FirstDay, ManyCasesFixture.LastDay, ct));
        }
    }
}
