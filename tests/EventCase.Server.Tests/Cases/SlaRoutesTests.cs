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
/// agree on whether a case is breached, and a calendar change moves the due instants of open cases without rewriting
/// what had already happened. Each test works in an agency of its own, its clock set first.
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

    [Fact]
    public async Task A_calendar_change_moves_the_due_instants_of_open_cases_everywhere_and_leaves_breaches_and_time_travel_as_they_were()
    {
        var agency = await NewAgencyAsync("change", Local(3, 2, 9));
        var breachedTuesday = await OpenAsync(agency, "quick");
        var dueThursday = await OpenAsync(agency, "slow");
        using var agent = server.Client(Roles.Agent, agency);
        using var admin = server.Client(Roles.Admin, agency);

        // On Wednesday at noon the agency records Tuesday (a storm closed the offices) and a closure on Thursday and
        // Friday. Tuesday's breach stands: the queues showed it on Tuesday evening. The open case is due a week later
        // than it was: Mon 8 h + Tue 8 h + Wed 8 h, then Monday 9 March 09:00–17:00 EDT.
        server.Clock.Reset(Local(3, 4, 12));
        await SetCalendarAsync(admin, expectedVersion: 1, "\"2026-03-03\",\"2026-03-05\",\"2026-03-06\"");
        server.Clock.Reset(Local(3, 4, 13));
        await server.WaitForProjectionsAsync();

        var breached = await ReadJsonAsync(await agent.GetAsync($"/sla/cases/{breachedTuesday}"));
        Assert.Equal(Iso(Local(3, 3, 17)), breached["breachedAt"]?.GetValue<string>());
        var moved = await ReadJsonAsync(await agent.GetAsync($"/sla/cases/{dueThursday}"));
        Assert.Equal(Iso(Local(3, 9, 17)), moved["due"]!.GetValue<string>());
        Assert.Equal(Iso(Local(3, 9, 17)), await QueueDueAfterRebuildAsync(agent, dueThursday, Iso(Local(3, 9, 17))));

        // Time travel: on Wednesday morning the case was due on Thursday, as the queue said then.
        var wednesdayMorning = await ReadJsonAsync(await agent.GetAsync($"/cases/{dueThursday}/as-of?at={Iso(Local(3, 4, 11))}"));
        var wednesdayAfternoon = await ReadJsonAsync(await agent.GetAsync($"/cases/{dueThursday}/as-of?at={Iso(Local(3, 4, 13))}"));
        Assert.Equal(Iso(Local(3, 5, 17)), wednesdayMorning["slaClock"]!["due"]!.GetValue<string>());
        Assert.Equal(Iso(Local(3, 9, 17)), wednesdayAfternoon["slaClock"]!["due"]!.GetValue<string>());
        var tuesdayEvening = await ReadJsonAsync(await agent.GetAsync($"/cases/{breachedTuesday}/as-of?at={Iso(Local(3, 3, 18))}"));
        Assert.Equal(Iso(Local(3, 3, 17)), tuesdayEvening["slaClock"]!["breachedAt"]?.GetValue<string>());
    }

    /// <summary>The queue's due instant of the case, once the rebuild a calendar change requests has given it <paramref name="expected"/> (or the last one seen).</summary>
    private async Task<string?> QueueDueAfterRebuildAsync(HttpClient agent, string id, string expected)
    {
        string? due = null;
        for (var i = 0; i < 300 && due != expected; i++)
        {
            if (i > 0)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            var queue = await ReadJsonAsync(await agent.GetAsync("/queues"));
            due = queue["items"]!.AsArray().Single(item => item!["caseId"]!.GetValue<string>() == id)!["slaDue"]?.GetValue<string>();
        }

        return due;
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
