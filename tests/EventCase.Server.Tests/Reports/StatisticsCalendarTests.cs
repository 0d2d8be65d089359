using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Cases;
using NodaTime;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

/// <summary>The transparency statistics of an agency whose calendar is set after it had cases (on the clock the tests move).</summary>
public sealed class StatisticsCalendarTests(SlaServerFixture server) : IClassFixture<SlaServerFixture>
{
    [Fact]
    public async Task The_first_calendar_an_agency_sets_recounts_the_business_resolution_times_of_its_earlier_cases_as_a_rebuild_does()
    {
        // No calendar yet: the stand-in counts weekdays 08:00–17:00 UTC. Opened Monday 2 March 14:00Z, resolved Tuesday
        // 21:00Z: 3 h + 9 h = 12 business hours on it.
        server.Clock.Reset(Instant.FromUtc(2026, 3, 2, 14, 0));
        var agency = $"stats-{Guid.NewGuid():N}"[..20];
        using var admin = server.Client(Roles.Admin, agency);
        using var agent = server.Client(Roles.Agent, agency);
        using (var service = await admin.PostAsync("/admin/services", Json("""
            {"code":"quick","name":"Quick","description":"A service.","defaultPriority":"normal","slaHours":16}
            """)))
        {
            Assert.True(service.IsSuccessStatusCode, await service.Content.ReadAsStringAsync());
        }

        var id = await OpenAsync(agent);
        await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/assign", """{"team":"roads"}""");
        server.Clock.Reset(Instant.FromUtc(2026, 3, 3, 21, 0));
        await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
        await server.WaitForProjectionsAsync();
        Assert.Equal(12, await MedianBusinessHoursAsync(agent, until: 12));

        // The agency's first calendar replaces the stand-in from the beginning (docs/read-models.md): New York,
        // weekdays 09:00–17:00 EST (14:00–22:00Z), so the case took 8 h + 7 h = 15 business hours, which is what a
        // rebuild of the statistics from the log counts.
        server.Clock.Reset(Instant.FromUtc(2026, 3, 4, 12, 0));
        var hours = string.Join(",", new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }.Select(d => $$"""{"day":"{{d}}","start":"09:00:00","end":"17:00:00"}"""));
        using (var calendar = await admin.PutAsync("/admin/calendar", Json($$"""{"zone":"America/New_York","hours":[{{hours}}],"holidays":[]}""")))
        {
            Assert.True(calendar.StatusCode == HttpStatusCode.OK, await calendar.Content.ReadAsStringAsync());
        }

        Assert.Equal(15, await MedianBusinessHoursAsync(agent, until: 15));
    }

    /// <summary>The March median business resolution hours of the agency's "quick" cases, once they are <paramref name="until"/> (or the last figure seen in 30 s).</summary>
    private static async Task<double?> MedianBusinessHoursAsync(HttpClient agent, double until)
    {
        double? median = null;
        for (var i = 0; i < 300 && median != until; i++)
        {
            if (i > 0)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            var rows = (await ReadJsonAsync(await agent.GetAsync("/statistics/transparency?from=2026-03-01&to=2026-03-31"))).AsArray();
            median = rows.Single(r => r!["service"]!.GetValue<string>() == "quick")!["medianBusinessResolutionHours"]?.GetValue<double>();
        }

        return median;
    }

    private static async Task<string> OpenAsync(HttpClient agent)
    {
        using var response = await agent.PostAsync("/cases", Json("""{"service":"quick","description":"Something is broken"}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!["caseId"]!.GetValue<string>();
    }
}
