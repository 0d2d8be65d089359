using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

public sealed class StatisticsRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/statistics/transparency?granularity=day&from=9999-12-31&to=9999-12-31")]
    [InlineData("/statistics/transparency?granularity=week&from=9999-12-20&to=9999-12-31")]
    [InlineData("/statistics/transparency.csv?granularity=month&from=9999-12-01&to=9999-12-01")]
    public async Task Statistics_for_a_last_period_that_would_end_after_the_year_9999_are_a_bad_request_naming_to(string path)
    {
        await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        var errors = server.UnexpectedErrorCount;

        using var response = await agent.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["to"]);
        Assert.Equal(errors, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task Statistics_up_to_the_last_day_of_9998_by_month_answer()
    {
        await server.OpenCaseAsync();
        // The statistics list the services the case facts (an async projection) have cases for.
        await server.WaitForProjectionsAsync();
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync("/statistics/transparency?granularity=month&from=9998-11-15&to=9998-12-31", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains((await ReadJsonAsync(response)).AsArray(), r => r!["periodEnd"]!.GetValue<string>() == "9999-01-01");
    }

    [Theory]
    [InlineData("2016-04-06", HttpStatusCode.OK)]
    [InlineData("2016-04-05", HttpStatusCode.BadRequest)]
    [InlineData("2016-03-31", HttpStatusCode.BadRequest)]
    public async Task A_range_may_reach_back_ten_years_to_the_day_and_no_further(string from, HttpStatusCode status)
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync($"/statistics/transparency?granularity=month&from={from}&to=2026-04-06", Ct);

        Assert.Equal(status, response.StatusCode);
        if (status == HttpStatusCode.BadRequest)
        {
            Assert.NotNull((await ReadJsonAsync(response))["errors"]!["from"]);
        }
    }
}
