using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Hosting;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Text;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>Time travel as an auditor uses it: the answer at any instant is the fold of the events that happened by then.</summary>
public sealed class TimeTravelTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task As_of_any_instant_around_each_event_is_the_fold_of_the_events_that_happened_by_then_in_any_offset()
    {
        var id = await server.OpenCaseAsync();
        using (var agent = server.Client(Roles.Agent))
        {
            await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/start-work", "");
            await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/escalate", """{"toLevel":2,"reason":"Council member asked"}""");
            await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
        }

        var store = server.Services.GetRequiredService<EventCaseDatabase>().Store;
        var events = await store.ReadStreamAsync(new StreamName(AgencyA, id), cancellationToken: Ct).ToListAsync(Ct);
        var json = server.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        using var auditor = server.Client(Roles.Auditor);
        var instants = events.Select(At).SelectMany(at => new[] { at - Duration.FromTicks(1), at, at + Duration.FromTicks(1) })
            .Append(events.Select(At).Max() + Duration.FromDays(3650))
            .Distinct();

        foreach (var instant in instants)
        {
            var happened = events.TakeWhile(e => At(e) <= instant).ToList();
            foreach (var text in Spellings(instant))
            {
                using var response = await auditor.GetAsync($"/cases/{id}/as-of?at={text}", Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                if (happened.Count == 0)
                {
                    Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                    Assert.Contains("case.not-yet-opened", body, StringComparison.Ordinal);
                    continue;
                }

                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{text}: {body}");
                var answer = JsonNode.Parse(body)!;
                var expected = JsonSerializer.SerializeToNode(CaseView.Fold(happened, publicOnly: false), json);
                Assert.Equal(happened[^1].StreamVersion, answer["asOfVersion"]!.GetValue<long>());
                Assert.True(JsonNode.DeepEquals(expected, answer["case"]), $"{text}: {answer["case"]} is not the fold {expected}");
                Assert.Equal(instant, InstantPattern.ExtendedIso.Parse(answer["asOfInstant"]!.GetValue<string>()).Value);
            }
        }

        // Opening routes the case in the same append: both events happened at the same instant, and both are in.
        Assert.Equal(At(events[0]), At(events[1]));
    }

    private static Instant At(RecordedEvent recorded) => ((CaseEvent)recorded.Data).At;

    /// <summary>The instant in UTC, at -05:00 and at +01:00, the last with its '+' escaped and as typed (a space on arrival).</summary>
    private static IEnumerable<string> Spellings(Instant instant)
    {
        yield return InstantPattern.ExtendedIso.Format(instant);
        yield return Uri.EscapeDataString(OffsetDateTimePattern.ExtendedIso.Format(instant.WithOffset(Offset.FromHours(-5))));
        var plusOne = OffsetDateTimePattern.ExtendedIso.Format(instant.WithOffset(Offset.FromHours(1)));
        yield return Uri.EscapeDataString(plusOne);
        yield return plusOne;
    }
}
