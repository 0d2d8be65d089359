using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using Npgsql;
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

    [Fact]
    public async Task A_weeks_statistics_read_the_cases_that_count_in_it_not_every_case_the_agency_has()
    {
        // A range's figures read all of the agency's cases, ever: in a soak run a month's statistics took 11 ms at the
        // start and 400 ms at 44,000 cases, and a city's years of history would make every request cost seconds.
        // One connection, so that the statistics of the query's reads are the only backend's to flush.
        await using var oneConnection = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = new PostgresEventStore(oneConnection, new EventSerializer(ScriptedStoreFixture.Registry()), fixture.Tester.Store.Options);
        var (first, last) = (new LocalDate(2026, 1, 12), new LocalDate(2026, 1, 18));
        // The table as autovacuum keeps a live one: analyzed, so that the planner knows how few rows a week holds.
        await using (var analyze = oneConnection.CreateCommand($"ANALYZE {fixture.Tester.Table()}, {fixture.Tester.Table(CaseFactsProjection.OpenIntervalsTable)}"))
        {
            await analyze.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var readBefore = await CaseFactsRowsReadAsync(oneConnection);

        var actual = await new TransparencyStatisticsQueries(store, BostonCalendars)
            .ComputeAsync(Boston, StatisticsGranularity.Day, first, last, TestContext.Current.CancellationToken);

        var read = await CaseFactsRowsReadAsync(oneConnection) - readBefore;
        IndependentStatistics.AssertSame(IndependentStatistics.Compute(Boston, Calendar, fixture.Cases, StatisticsGranularity.Day, first, last), actual);
        Assert.True(read < ManyCasesFixture.CaseCount / 4, $"a week's statistics read {read} of {ManyCasesFixture.CaseCount} cases' rows");
    }

    /// <summary>Rows of the case facts table read by scans and index scans, including those the backend has not reported yet.</summary>
    private async Task<long> CaseFactsRowsReadAsync(NpgsqlDataSource oneConnection)
    {
        var ct = TestContext.Current.CancellationToken;
        // A backend reports its statistics when it goes idle, at most once a second unless told to at once.
        await using (var flush = oneConnection.CreateCommand("SELECT pg_stat_force_next_flush()"))
        {
            await flush.ExecuteNonQueryAsync(ct);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        await using var command = oneConnection.CreateCommand(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relid = $1::regclass");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = fixture.Tester.Table() });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
