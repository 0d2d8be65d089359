using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using NodaTime.Text;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>The service on a clock the tests move: Monday 2 March 2026, 09:00 in New York, to start with.</summary>
public sealed class SlaServerFixture : ServerFixture
{
    public FakeClock Clock { get; } = new(Instant.FromUtc(2026, 3, 2, 14, 0));

    protected override void ConfigureHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<IClock>(Clock));
}

/// <summary>
/// The SLA fields the API shows, as an agency's operations lead checks them: the case list, the queue and the SLA clock
/// agree on whether a case is breached. Each test works in an agency of its own, its clock set first.
/// </summary>
public sealed class SlaRoutesTests(SlaServerFixture server) : IClassFixture<SlaServerFixture>
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    private static Instant Local(int month, int day, int hour) => NewYork.AtStrictly(new LocalDateTime(2026, month, day, hour, 0)).ToInstant();

    private static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    [Fact]
    public async Task A_case_whose_due_instant_passed_without_an_event_is_breached_in_the_case_list_as_in_the_queue_and_its_clock()
    {
        var agency = await NewAgencyAsync("list", Local(3, 2, 9));
        var id = await OpenAsync(agency, "quick");
        using var agent = server.Client(Roles.Agent, agency);

        // 16 business hours from Monday 09:00 ran out on Tuesday at 17:00; nothing happened to the case since.
        server.Clock.Reset(Local(3, 4, 9));
        await server.WaitForProjectionsAsync();
        var listed = (await ReadJsonAsync(await agent.GetAsync("/cases")))["items"]!.AsArray().Single(i => i!["caseId"]!.GetValue<string>() == id)!;
        var queued = (await ReadJsonAsync(await agent.GetAsync("/queues")))["items"]!.AsArray().Single(i => i!["caseId"]!.GetValue<string>() == id)!;
        var clock = await ReadJsonAsync(await agent.GetAsync($"/sla/cases/{id}"));

        Assert.Equal(Iso(Local(3, 3, 17)), listed["slaDue"]!.GetValue<string>());
        Assert.Equal(Iso(Local(3, 3, 17)), listed["slaBreachedAt"]?.GetValue<string>());
        Assert.True(queued["slaBreached"]!.GetValue<bool>());
        Assert.Equal(Iso(Local(3, 3, 17)), clock["breachedAt"]?.GetValue<string>());
    }

    /// <summary>An agency of the test's own with a 09:00–17:00 New York calendar and two services, "quick" (16 business hours) and "slow" (32).</summary>
    private async Task<string> NewAgencyAsync(string name, Instant at)
    {
        server.Clock.Reset(at);
        var agency = $"sla-{name}-{Guid.NewGuid():N}"[..24];
        using var admin = server.Client(Roles.Admin, agency);
        await SetCalendarAsync(admin, expectedVersion: 0, holidays: "");
        foreach (var (code, hours) in new[] { ("quick", 16), ("slow", 32) })
        {
            using var response = await admin.PostAsync("/admin/services", Json($$"""
                {"code":"{{code}}","name":"{{code}}","description":"A service.","defaultPriority":"normal","slaHours":{{hours}}}
                """));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        return agency;
    }

    private static async Task SetCalendarAsync(HttpClient admin, long expectedVersion, string holidays)
    {
        var hours = string.Join(",", new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }.Select(d => $$"""{"day":"{{d}}","start":"09:00:00","end":"17:00:00"}"""));
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/calendar")
        {
            Content = Json($$"""{"zone":"America/New_York","hours":[{{hours}}],"holidays":[{{holidays}}]}"""),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{expectedVersion}\"");
        using var response = await admin.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> OpenAsync(string agency, string service)
    {
        using var agent = server.Client(Roles.Agent, agency);
        using var response = await agent.PostAsync("/cases", Json($$"""{"service":"{{service}}","description":"Something is broken"}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!["caseId"]!.GetValue<string>();
    }
}
