using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using EventCase.Testing;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>The API payloads clients parse, pinned as golden files (ids, numbers, instants and correlation ids scrubbed).</summary>
public sealed class CasePayloadGoldenTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly GoldenSettings Settings = CreateSettings();

    private static GoldenSettings CreateSettings()
    {
        var settings = new GoldenSettings();
        settings.Scrubbers.Add(new GoldenScrubber("CaseNumber", new System.Text.RegularExpressions.Regex("[A-Z][A-Z0-9]{1,7}-[0-9]{4}-[0-9]{6,9}")));
        foreach (var member in new[] { "number", "correlationId", "causationId", "position", "caseId", "id" })
        {
            settings.ScrubbedMembers.Add(member);
        }

        return settings;
    }

    [Fact]
    public async Task The_case_view_history_and_a_problem_keep_their_shape()
    {
        using var agent = server.Client(Roles.Agent, subject: "golden-agent");
        using var open = await agent.PostAsync("/cases", Json("""
            {"service":"pothole","description":"Golden hole","citizen":{"reference":"golden-citizen","name":"Gil"},
             "location":{"latitude":42.35,"longitude":-71.06,"address":"7 Gold St"},"attributes":{"depth":["shallow"]},"channel":"phone"}
            """));
        var id = (await ReadJsonAsync(open))["caseId"]!.GetValue<string>();
        await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/escalate", """{"toLevel":1,"reason":"Golden reason"}""");
        await CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/notes", """{"text":"Golden note","visibility":"public"}""");

        await Golden.VerifyAsync(await agent.GetStringAsync($"/cases/{id}"), "case-view", Settings);
        await Golden.VerifyAsync(await agent.GetStringAsync($"/cases/{id}/history"), "case-history", Settings);
        using var refused = await agent.PostAsync($"/cases/{id}/escalate", Json("""{"toLevel":1,"reason":"Again"}"""));
        await Golden.VerifyAsync(await refused.Content.ReadAsStringAsync(), "problem-invalid-escalation", Settings);
    }
}
