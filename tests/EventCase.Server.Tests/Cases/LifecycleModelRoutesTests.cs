using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Tests.Lifecycle.Model;
using EventCase.EventStore;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>The service on a clock of its own, for <see cref="LifecycleModelRoutesTests"/>.</summary>
public sealed class LifecycleServerFixture : Support.ServerFixture
{
    public FakeClock Clock { get; } = new(Instant.FromUtc(2026, 3, 2, 14, 0));

    protected override void ConfigureHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services => services.AddSingleton<IClock>(Clock));
}

/// <summary>
/// A sample of the lifecycle model's random sequences sent through the HTTP API as a supervisor sends them (the
/// domain's run is <c>LifecycleModelTests</c>): each answer is the model's (200, or the problem type of the refusal the
/// docs name, with the case's number and status in its detail), each touched stream holds the model's events, and at
/// the end every case's view shows the model's status, priority, escalation and links.
/// </summary>
public sealed class LifecycleModelRoutesTests(LifecycleServerFixture server) : IClassFixture<LifecycleServerFixture>
{
    private static readonly string[] Teams = ["roads", "parks"];
    private static readonly CasePriority[] Priorities = Enum.GetValues<CasePriority>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Random_command_sequences_through_the_api_do_what_the_documented_lifecycle_says()
    {
        var random = new Random(7);
        var model = new LifecycleModel();
        // Transfers go from the demo agency to the other town, which routes nothing: the receiving case opens unassigned.
        model.Agencies[AgencyA] = null;
        model.Agencies[AgencyB] = null;
        using var supervisor = server.Client(Roles.Supervisor, AgencyA, "sue");
        var answers = new HashSet<string>(StringComparer.Ordinal);
        for (var step = 0; step < 300; step++)
        {
            server.Clock.Advance(random.Next(3) == 0 ? Duration.FromHours(random.Next(1, 30)) : Duration.FromMinutes(random.Next(0, 60)));
            var now = server.Clock.GetCurrentInstant();
            if (step % 12 == 0)
            {
                var id = await server.OpenCaseAsync();
                var view = await ViewAsync(supervisor, id);
                var opened = model.Open(AgencyA, id, view["assignment"]?["team"]?.GetValue<string>(), Priority(view), now);
                Assert.True(opened.Accepted);
                opened.Commit((id, view["number"]!.GetValue<string>()));
                continue;
            }

            var cases = model.Cases.Where(c => c.Agency == AgencyA).ToList();
            var live = cases.Where(c => !LifecycleModel.IsFinal(c.Status)).ToList();
            var sent = live.Count > 0 && random.Next(5) > 0 ? live[random.Next(live.Count)] : cases[random.Next(cases.Count)];
            var other = random.Next(15) == 0 ? sent : cases[random.Next(cases.Count)];
            var (path, body, stepTaken) = RandomCommand(random, other.Id);
            var expected = model.Decide(AgencyA, sent.Id, stepTaken, now);
            using var response = await supervisor.PostAsync($"/cases/{sent.Id}/{path}", Json(body), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var because = $"step {step}: {path} {body} on case {sent.Number} ({sent.Status})";
            var answer = JsonNode.Parse(text)!;
            if (expected.Accepted)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{because}: the docs accept it, the API answered {(int)response.StatusCode}: {text}");
                var own = expected.Appends.FirstOrDefault(a => a.Stream == LifecycleModel.Key(AgencyA, sent.Id)).Events ?? [];
                Assert.Equal(own, answer["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()));
                answers.Add("accepted");
                var receiving = answer["receivingCase"];
                expected.Commit(receiving is null ? null : (receiving["caseId"]!.GetValue<string>(), receiving["number"]!.GetValue<string>()));
            }
            else
            {
                var code = answer["type"]?.GetValue<string>()?.Replace("https://eventcase.dev/problems/", string.Empty, StringComparison.Ordinal);
                // An agency with no catalog is no agency the service knows: 400 naming toAgency (decision 0020).
                if (code == "request.invalid" && answer["errors"]?["toAgency"] is not null)
                {
                    code = LifecycleModel.UnknownAgency;
                }

                Assert.True(code is not null && expected.Codes!.Contains(code),
                    $"{because}: the docs refuse it with {string.Join(" or ", expected.Codes!)}, the API answered {(int)response.StatusCode}: {text}");
                answers.Add(code);
                if ((int)response.StatusCode == 409)
                {
                    var detail = answer["detail"]!.GetValue<string>();
                    Assert.StartsWith($"case {sent.Number} is {sent.Status}", detail, StringComparison.Ordinal);
                }
            }

            foreach (var touched in new[] { sent, other }.Concat(model.Cases.Where(c => c.Agency == AgencyB)).Distinct())
            {
                Assert.Equal(touched.Events, await StoredEventTypesAsync(touched), StringComparer.Ordinal);
            }
        }

        foreach (var c in model.Cases.Where(c => c.Agency == AgencyA))
        {
            var view = await ViewAsync(supervisor, c.Id);
            Assert.Equal(
                (JsonNamingPolicy.CamelCase.ConvertName(c.Status.ToString()), c.Priority, c.Level, c.Team, c.DuplicateOf, c.Parent),
                (view["status"]!.GetValue<string>(), Priority(view), view["escalationLevel"]!.GetValue<int>(), view["assignment"]?["team"]?.GetValue<string>(),
                    view["duplicateOf"]?.GetValue<string>(), view["parent"]?.GetValue<string>()));
            Assert.Equal(c.Duplicates, view["duplicates"]!.AsArray().Select(d => d!["caseId"]!.GetValue<string>()));
            Assert.Equal(c.Children, view["children"]!.AsArray().Select(d => d!.GetValue<string>()));
        }

        Assert.Contains(model.Cases, c => c.Agency == AgencyB);
        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal) { "accepted", LifecycleModel.InvalidStatus, LifecycleModel.InvalidLevel, LifecycleModel.InvalidInput, LifecycleModel.UnknownAgency },
            answers);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    private static (string Path, string Body, Step Step) RandomCommand(Random random, string other)
    {
        var team = Teams[random.Next(Teams.Length)];
        var priority = Priorities[random.Next(Priorities.Length)];
        (string Path, string Body, Step Step) command = random.Next(20) switch
        {
            0 or 1 => ("assign", $$"""{"team":"{{team}}"}""", new Step.Assign(team, null)),
            2 => ("unassign", "{}", new Step.Unassign()),
            3 or 4 => ("start-work", "{}", new Step.StartWork()),
            5 => ("request-information", """{"question":"Which side of the street?"}""", new Step.RequestInformation()),
            6 => ("information-received", """{"response":"The north side"}""", new Step.InformationReceived()),
            7 => ("notes", """{"text":"Checked"}""", new Step.AddNote()),
            8 => ("escalate", $$"""{"toLevel":{{random.Next(1, 4)}},"reason":"Slow"}""", new Step.Escalate(0, "Slow")),
            9 => ("deescalate", $$"""{"toLevel":{{random.Next(0, 3)}},"reason":"Better"}""", new Step.Deescalate(0, "Better")),
            10 => ("priority", $$"""{"to":"{{JsonNamingPolicy.CamelCase.ConvertName(priority.ToString())}}"}""", new Step.ChangePriority(priority)),
            11 => random.Next(5) == 0
                ? ("transfer", """{"toAgency":"nowhere-town","reason":"Their road"}""", new Step.Transfer("nowhere-town", "Their road"))
                : ("transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""", new Step.Transfer(AgencyB, "Their road")),
            12 or 13 => ("resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""", new Step.Resolve("repaired")),
            14 => ("close", "{}", new Step.Close()),
            15 => ("reopen", """{"reason":"Still there"}""", new Step.Reopen("Still there", Duration.FromDays(30))),
            16 => ("cancel", """{"reason":"Withdrawn"}""", new Step.Cancel("Withdrawn")),
            17 => ("mark-duplicate", $$"""{"originalCaseId":"{{other}}"}""", new Step.MarkDuplicate(other)),
            18 => random.Next(2) == 0
                ? ("link-parent", $$"""{"caseId":"{{other}}"}""", new Step.Link(other, AsParent: true))
                : ("link-child", $$"""{"caseId":"{{other}}"}""", new Step.Link(other, AsParent: false)),
            _ => random.Next(2) == 0
                ? ("feedback", $$"""{"satisfaction":{{random.Next(1, 6)}}}""", new Step.Feedback(4))
                : ("feedback", """{"satisfaction":9}""", new Step.Feedback(9)),
        };
        return (command.Path, command.Body, Levelled(command.Step, command.Body));
    }

    /// <summary>The model's step with the level and satisfaction the body carries.</summary>
    private static Step Levelled(Step step, string body)
    {
        var json = JsonNode.Parse(body)!;
        return step switch
        {
            Step.Escalate e => e with { ToLevel = json["toLevel"]!.GetValue<int>() },
            Step.Deescalate d => d with { ToLevel = json["toLevel"]!.GetValue<int>() },
            Step.Feedback f => f with { Satisfaction = json["satisfaction"]!.GetValue<int>() },
            _ => step,
        };
    }

    private static CasePriority Priority(JsonNode view) => Enum.Parse<CasePriority>(view["priority"]!.GetValue<string>(), ignoreCase: true);

    private static async Task<JsonNode> ViewAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/cases/{id}", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    private async Task<List<string>> StoredEventTypesAsync(ModelCase c)
    {
        var store = server.Services.GetRequiredService<EventCaseDatabase>().Store;
        var types = new List<string>();
        await foreach (var e in store.ReadStreamAsync(CaseStreams.For(AgencyId.From(c.Agency), CaseId.From(c.Id)), ReadStreamOptions.All, Ct))
        {
            types.Add(e.EventType);
        }

        return types;
    }
}
