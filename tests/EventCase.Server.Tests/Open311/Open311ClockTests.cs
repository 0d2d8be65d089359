using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Cases;
using NodaTime;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Open311;

/// <summary>The Open311 dates of a request whose events happen hours apart, on a clock the test moves.</summary>
public sealed class Open311ClockTests(SlaServerFixture server) : IClassFixture<SlaServerFixture>
{
    [Fact]
    public async Task A_closed_requests_updated_datetime_is_when_it_was_closed_not_when_a_later_note_was_added()
    {
        server.Clock.Reset(Instant.FromUtc(2026, 3, 2, 14, 0));
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        server.Clock.Reset(Instant.FromUtc(2026, 3, 2, 15, 0));
        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
        server.Clock.Reset(Instant.FromUtc(2026, 3, 3, 16, 0));
        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/notes", """{"text":"Checked again: the patch holds","visibility":"internal"}""");
        using var client = server.Client();

        var request = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests/{id}.json")))[0]!;

        // GeoReport v2: "For requests with status=closed, this will be the date the request was closed."
        Assert.Equal("closed", request["status"]!.GetValue<string>());
        Assert.Equal("2026-03-02T09:00:00-05:00", request["requested_datetime"]!.GetValue<string>());
        Assert.Equal("2026-03-02T10:00:00-05:00", request["updated_datetime"]!.GetValue<string>());
    }
}
