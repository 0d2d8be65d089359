using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Tests.Sla.Oracle;
using EventCase.Cases.Transferring;
using EventCase.Server.Auth;
using NodaTime;
using NodaTime.Text;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>
/// The as-of view's SLA clock, through the API, against the minute-by-minute oracle: generated cases played through
/// the routes on the service's clock (each in an agency of its own, its calendar set and changed through
/// <c>PUT /admin/calendar</c> while the case runs), then read as of every event, every calendar change and instants
/// between, on the calendars the agency had set by then.
/// </summary>
public sealed class SlaAsOfOracleTests(SlaServerFixture server) : IClassFixture<SlaServerFixture>
{
    private static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    [Fact]
    public async Task The_clock_of_the_as_of_view_agrees_with_the_oracle_on_the_calendars_set_by_then()
    {
        var compared = 0;
        // Three of the oracle's zones (a clock change at 02:00, of half an hour, at midnight): every calendar
        // change makes the service rebuild the read models that store due instants, which is most of the test's time.
        foreach (var zone in new[] { "America/New_York", "Australia/Lord_Howe", "America/Santiago" })
        {
            var scenarios = new SlaScenarios(zone.Length * 31337);
            // One case per zone, one whose agency changes its calendar while the case runs, so that it is due at
            // another instant than the calendar set at its opening said.
            for (var generated = scenarios.Next(zone); ; generated = scenarios.Next(zone))
            {
                if (generated.Oracle(generated.Calendars.KnownAt(generated.Started)).Due == generated.Oracle().Due)
                {
                    continue;
                }

                // The catalog takes whole business hours.
                var scenario = generated.BusinessHours ? generated with { Amount = Math.Max(1, generated.Amount / 60) * 60 } : generated;
                var (agency, caseId) = await PlayAsync(scenario);
                using var agent = server.Client(Roles.Agent, agency);

                var instants = scenario.Events.Select(e => e.At)
                    .Concat(scenario.Calendars.Changes.Skip(1).Select(c => c.From).Where(t => t >= scenario.Started))
                    .Concat(scenario.Probes.Where(t => t >= scenario.Started))
                    .Distinct()
                    .Order();
                foreach (var then in instants)
                {
                    var pauses = scenario.Pauses.Where(p => p.Start <= then).Select(p => (p.Start, p.End is { } end && end <= then ? p.End : null)).ToList();
                    var stopped = scenario.Stopped is { } stop && stop <= then ? stop : (Instant?)null;
                    var expected = (scenario with { Pauses = pauses, Stopped = stopped }).Oracle(scenario.Calendars.KnownAt(then)).At(then);

                    using var response = await agent.GetAsync($"/cases/{caseId}/as-of?at={Iso(then)}");
                    var clock = (await ReadJsonAsync(response))["slaClock"]!;
                    var got = new OracleReading(
                        DurationPattern.Roundtrip.Parse(clock["elapsed"]!.GetValue<string>()).Value,
                        DurationPattern.Roundtrip.Parse(clock["remaining"]!.GetValue<string>()).Value,
                        InstantOrNull(clock["due"]),
                        InstantOrNull(clock["breachedAt"]),
                        clock["isPaused"]!.GetValue<bool>());

                    Assert.True(expected == got, $"{scenario} as of {then}\nexpected {expected}\n     got {got}");
                    compared++;
                }

                break;
            }
        }

        Assert.True(compared > 30);
    }

    private static Instant? InstantOrNull(JsonNode? node) => node is null ? null : InstantPattern.ExtendedIso.Parse(node.GetValue<string>()).Value;

    /// <summary>Opens the case and sends a command for each of its events at the event's instant, and sets its calendars when they change.</summary>
    private async Task<(string Agency, string CaseId)> PlayAsync(SlaScenario scenario)
    {
        var agency = $"asof-{Guid.NewGuid():N}"[..20];
        using var admin = server.Client(Roles.Admin, agency);
        using var agent = server.Client(Roles.Agent, agency);
        using var supervisor = server.Client(Roles.Supervisor, agency);
        var calendarVersion = 0L;

        // The first calendar counts from the beginning, whenever it was set; later ones from when they were set.
        server.Clock.Reset(scenario.Started - Duration.FromDays(30));
        await SetCalendarAsync(admin, scenario.Calendars.Changes[0].Calendar.Spec, calendarVersion++);
        var target = scenario.BusinessHours
            ? $"\"slaHours\":{(scenario.Amount / 60).ToString(CultureInfo.InvariantCulture)}"
            : $"\"slaCalendarDays\":{scenario.Amount.ToString(CultureInfo.InvariantCulture)}";
        await SendAsync(admin, HttpMethod.Post, "/admin/services", $$"""{"code":"svc","name":"Service","description":"A service.","defaultPriority":"normal",{{target}}}""");

        var changes = new Queue<(Instant From, NaiveCalendar Calendar)>(scenario.Calendars.Changes.Skip(1));
        string? caseId = null;
        var assigned = false;
        var working = false;
        var open = true;
        foreach (var @event in scenario.Events)
        {
            while (changes.Count > 0 && changes.Peek().From <= @event.At)
            {
                var (from, calendar) = changes.Dequeue();
                server.Clock.Reset(from);
                await SetCalendarAsync(admin, calendar.Spec, calendarVersion++);
            }

            server.Clock.Reset(@event.At);
            var path = $"/cases/{caseId}";
            switch (@event)
            {
                case CaseOpened:
                    var opened = await SendAsync(agent, HttpMethod.Post, "/cases", """{"service":"svc","description":"Something is broken"}""");
                    caseId = opened["caseId"]!.GetValue<string>();
                    break;
                case InformationRequested:
                    await StartWorkAsync();
                    await SendAsync(agent, HttpMethod.Post, path + "/request-information", """{"question":"Where?"}""");
                    working = false;
                    break;
                case InformationReceived:
                    await SendAsync(agent, HttpMethod.Post, path + "/information-received", """{"response":"Here."}""");
                    working = true;
                    break;
                case CaseResolved:
                    await AssignAsync();
                    await SendAsync(agent, HttpMethod.Post, path + "/resolve", """{"resolutionCode":"fixed","publicSummary":"Fixed."}""");
                    working = false;
                    open = false;
                    break;
                case CaseReopened:
                    await SendAsync(agent, HttpMethod.Post, path + "/reopen", """{"reason":"Not fixed."}""");
                    open = true;
                    break;
                case CaseClosed:
                    await SendAsync(agent, HttpMethod.Post, path + "/close", "{}");
                    break;
                case CaseCancelled or CaseTransferred or CaseMarkedDuplicate:
                    // Each stops the clock for good; a cancellation needs no other agency or case.
                    await SendAsync(agent, HttpMethod.Post, path + "/cancel", """{"reason":"Withdrawn."}""");
                    open = false;
                    break;
                case CaseEscalated or PriorityChanged or CaseAssigned when !open:
                    // Only an open case takes these; a note changes the clock no more than they do.
                    await SendAsync(agent, HttpMethod.Post, path + "/notes", """{"visibility":"internal","text":"Looked at again."}""");
                    break;
                case CaseEscalated:
                    await SendAsync(agent, HttpMethod.Post, path + "/notes", """{"visibility":"internal","text":"Escalation considered."}""");
                    break;
                case PriorityChanged:
                    await SendAsync(agent, HttpMethod.Post, path + "/priority", """{"to":"urgent"}""");
                    break;
                case CaseAssigned:
                    await SendAsync(agent, HttpMethod.Post, path + "/assign", """{"team":"streets"}""");
                    assigned = true;
                    break;
            }
        }

        foreach (var (from, calendar) in changes)
        {
            server.Clock.Reset(from);
            await SetCalendarAsync(admin, calendar.Spec, calendarVersion++);
        }

        return (agency, caseId!);

        async Task AssignAsync()
        {
            if (!assigned)
            {
                await SendAsync(agent, HttpMethod.Post, $"/cases/{caseId}/assign", """{"team":"streets"}""");
                assigned = true;
            }
        }

        async Task StartWorkAsync()
        {
            await AssignAsync();
            if (!working)
            {
                // After a reopen the case is Assigned again and may be in progress from an earlier start: only start when needed.
                var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{caseId}"));
                if (view["status"]!.GetValue<string>() != "inProgress")
                {
                    await SendAsync(agent, HttpMethod.Post, $"/cases/{caseId}/start-work", "{}");
                }

                working = true;
            }
        }
    }

    private static async Task SetCalendarAsync(HttpClient admin, OracleCalendarSpec spec, long expectedVersion)
    {
        static string Time(int minutes) => minutes == 1440 ? "00:00:00" : $"{minutes / 60:00}:{minutes % 60:00}:00";
        var hours = string.Join(",", spec.Periods.Select(p =>
            $$"""{"day":"{{p.Day.ToString().ToLowerInvariant()}}","start":"{{Time(p.StartMinute)}}","end":"{{Time(p.EndMinute)}}"}"""));
        var holidays = string.Join(",", spec.Holidays.Select(d => $"\"{LocalDatePattern.Iso.Format(d)}\""));
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/calendar")
        {
            Content = Json($$"""{"zone":"{{spec.ZoneId}}","hours":[{{hours}}],"holidays":[{{holidays}}]}"""),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{expectedVersion}\"");
        using var response = await admin.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonNode> SendAsync(HttpClient client, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path) { Content = Json(json) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
