using System.Net;
using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.Assigning;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using EventCase.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Text;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

/// <summary>The statistics routes in JSON and CSV, for an agency in Santiago, whose clocks go back at midnight on 4 April 2026.</summary>
public sealed class StatisticsFormatsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_JSON_and_CSV_statistics_carry_the_figures_of_the_agency_days_across_a_clock_change()
    {
        var agency = $"fmt-{Guid.NewGuid():N}"[..16];
        using var admin = server.Client(Roles.Admin, agency);
        var hours = string.Join(",", new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }.Select(d => $$"""{"day":"{{d}}","start":"08:30:00","end":"17:30:00"}"""));
        using (var calendar = await admin.PutAsync("/admin/calendar", Json($$"""{"zone":"America/Santiago","hours":[{{hours}}],"holidays":[]}"""), Ct))
        {
            Assert.True(calendar.StatusCode == HttpStatusCode.OK, await calendar.Content.ReadAsStringAsync(Ct));
        }

        // Saturday 4 April lasts 25 hours: 23:00–24:00 comes twice, 02:00Z–03:00Z at -03 and 03:00Z–04:00Z at -04.
        // c1 opens at 03:30Z, 23:30 on 4 April the second time; c2 at 04:00Z, the midnight that starts 5 April; c1 is
        // resolved on Monday 6 April at 16:00Z (12:00 at -04), 36.5 hours after it opened, 3.5 business hours (08:30–12:00).
        await AppendAsync(agency, "c1", Instant.FromUtc(2026, 4, 5, 3, 30), Instant.FromUtc(2026, 4, 6, 16, 0));
        await AppendAsync(agency, "c2", Instant.FromUtc(2026, 4, 5, 4, 0), null);
        await server.WaitForProjectionsAsync();
        using var agent = server.Client(Roles.Agent, agency);
        const string Query = "granularity=day&from=2026-04-03&to=2026-04-06";

        using var json = await agent.GetAsync($"/statistics/transparency?{Query}", Ct);
        using var csv = await agent.GetAsync($"/statistics/transparency.csv?{Query}", Ct);

        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await json.Content.ReadAsStringAsync(Ct);
        var rows = JsonSerializer.Deserialize<List<TransparencyStatisticsRow>>(text, ApiJson.Response)!;
        Assert.Equal(
            [("2026-04-03", 0L, 0L, 0L), ("2026-04-04", 1L, 0L, 1L), ("2026-04-05", 1L, 0L, 2L), ("2026-04-06", 0L, 1L, 1L)],
            rows.Select(r => (LocalDatePattern.Iso.Format(r.PeriodStart), r.Opened, r.Resolved, r.BacklogAtEnd)));
        Assert.Equal((36.5, 3.5, 1.0), (rows[3].MedianResolutionHours, rows[3].MedianBusinessResolutionHours, rows[3].SlaComplianceRate));
        // Figures that do not apply are left out of the JSON, and empty in the CSV.
        Assert.DoesNotContain("null", text, StringComparison.Ordinal);
        Assert.Equal(TransparencyReport.ToCsv(rows), await csv.Content.ReadAsStringAsync(Ct));
        var queries = new TransparencyStatisticsQueries(server.Services.GetRequiredService<EventCaseDatabase>().Store, server.Services.GetRequiredService<CalendarCache>());
        Assert.Equal(await queries.ComputeAsync(agency, StatisticsGranularity.Day, new LocalDate(2026, 4, 3), new LocalDate(2026, 4, 6), Ct), rows);
    }

    [Fact]
    public async Task For_publication_the_figures_of_fewer_cases_than_minCases_are_left_out_and_the_counts_stay()
    {
        var agency = $"pub-{Guid.NewGuid():N}"[..16];
        // Two cases resolved on 6 April, one on 7 April: the 7th's median would be that one case's resolution time.
        await AppendAsync(agency, "c1", Instant.FromUtc(2026, 4, 6, 13, 0), Instant.FromUtc(2026, 4, 6, 15, 0));
        await AppendAsync(agency, "c2", Instant.FromUtc(2026, 4, 6, 13, 0), Instant.FromUtc(2026, 4, 6, 17, 0));
        await AppendAsync(agency, "c3", Instant.FromUtc(2026, 4, 7, 13, 0), Instant.FromUtc(2026, 4, 7, 14, 0));
        await server.WaitForProjectionsAsync();
        using var agent = server.Client(Roles.Agent, agency);
        const string Query = "granularity=day&from=2026-04-06&to=2026-04-07";

        using var all = await agent.GetAsync($"/statistics/transparency?{Query}", Ct);
        using var published = await agent.GetAsync($"/statistics/transparency?{Query}&minCases=2", Ct);
        using var publishedCsv = await agent.GetAsync($"/statistics/transparency.csv?{Query}&minCases=2", Ct);

        var everything = JsonSerializer.Deserialize<List<TransparencyStatisticsRow>>(await all.Content.ReadAsStringAsync(Ct), ApiJson.Response)!;
        var text = await published.Content.ReadAsStringAsync(Ct);
        Assert.True(published.StatusCode == HttpStatusCode.OK, text);
        var rows = JsonSerializer.Deserialize<List<TransparencyStatisticsRow>>(text, ApiJson.Response)!;
        Assert.Equal(3.0, everything[0].MedianResolutionHours);
        Assert.Equal(1.0, everything[1].MedianResolutionHours);
        Assert.Equal(everything[0], rows[0]);
        Assert.Equal((1L, 1L, null, null, null, null), (rows[1].Opened, rows[1].Resolved, rows[1].MedianResolutionHours, rows[1].P90ResolutionHours, rows[1].SlaComplianceRate, rows[1].ReopenRate));
        Assert.Equal(TransparencyReport.ToCsv(rows), await publishedCsv.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("/statistics/transparency", "text/csv", "application/json")]
    [InlineData("/statistics/transparency?format=csv", "text/csv", "application/json")]
    [InlineData("/statistics/transparency.csv", "application/json", "text/csv")]
    [InlineData("/statistics/transparency", "application/xml", "application/json")]
    public async Task The_format_is_the_one_the_path_names_whatever_accept_asks_for(string route, string accept, string answered)
    {
        // docs/api.md, "Accept": RFC 9110 §12.5.1 lets a server disregard Accept; the path chooses, and says so in Content-Type.
        using var agent = server.Client(Roles.Agent);
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.Add("Accept", accept);

        using var response = await agent.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(answered, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("two")]
    [InlineData("2.5")]
    public async Task A_minCases_that_is_no_whole_number_from_1_to_1000_is_a_bad_request_naming_it(string value)
    {
        using var agent = server.Client(Roles.Agent, "pub-bad");

        foreach (var route in new[] { "/statistics/transparency", "/statistics/transparency.csv" })
        {
            using var response = await agent.GetAsync($"{route}?minCases={Uri.EscapeDataString(value)}", Ct);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal("must be a whole number from 1 to 1000.", problem.GetProperty("errors").GetProperty("minCases")[0].GetString());
        }
    }

    [Fact]
    public async Task Daily_statistics_over_a_date_the_agency_zone_skipped_list_it_as_an_empty_day()
    {
        // Samoa moved across the date line at the end of 29 December 2011: Friday 30 December never happened in Apia.
        var agency = $"apia-{Guid.NewGuid():N}"[..16];
        using var admin = server.Client(Roles.Admin, agency);
        using (var calendar = await admin.PutAsync(
            "/admin/calendar", Json("""{"zone":"Pacific/Apia","hours":[{"day":"monday","start":"08:00:00","end":"16:00:00"}],"holidays":[]}"""), Ct))
        {
            Assert.True(calendar.StatusCode == HttpStatusCode.OK, await calendar.Content.ReadAsStringAsync(Ct));
        }

        // Opened at noon on Thursday 29 December (-10:00), still open.
        await AppendAsync(agency, "c1", Instant.FromUtc(2011, 12, 29, 22, 0), null, SlaTarget.CalendarDays(5));
        await server.WaitForProjectionsAsync();
        using var agent = server.Client(Roles.Agent, agency);
        var errors = server.UnexpectedErrorCount;

        using var response = await agent.GetAsync("/statistics/transparency?granularity=day&from=2011-12-29&to=2011-12-31", Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(errors, server.UnexpectedErrorCount);
        var rows = JsonSerializer.Deserialize<List<TransparencyStatisticsRow>>(text, ApiJson.Response)!;
        Assert.Equal(
            [("2011-12-29", 1L, 1L), ("2011-12-30", 0L, 1L), ("2011-12-31", 0L, 1L)],
            rows.Select(r => (LocalDatePattern.Iso.Format(r.PeriodStart), r.Opened, r.BacklogAtEnd)));
    }

    private async Task AppendAsync(string agency, string id, Instant opened, Instant? resolved, SlaTarget? target = null)
    {
        var caseId = new CaseId(id);
        var events = new List<object>
        {
            new CaseOpened(
                caseId, new CaseNumber("FMT", 2026, id == "c1" ? 1 : 2), new AgencyId(agency), new ServiceCode("pothole"), "A hole", null, null, Channel.Phone,
                new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, target ?? SlaTarget.BusinessHours(8), opened),
            new CaseAssigned(caseId, new Assignment(new TeamId("roads")), opened),
        };
        if (resolved is { } at)
        {
            events.Add(new CaseResolved(caseId, "repaired", "Filled.", at));
        }

        await server.Services.GetRequiredService<EventCaseDatabase>().Store.AppendToStreamsAsync(
            [new StreamAppend(new StreamName(agency, id), "case", ExpectedVersion.NoStream, [.. events.Select(e => new NewEvent(Guid.NewGuid(), e, new EventMetadata("alice", "agent")))])],
            Ct);
    }
}
