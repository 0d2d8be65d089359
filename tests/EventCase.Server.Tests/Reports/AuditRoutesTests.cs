using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

public sealed class AuditRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z")]
    [InlineData("from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z")]
    [InlineData("from=2026-03-01T06:00:00%2B01:00&to=2026-03-01T05:00:00Z")]
    public async Task An_actors_trail_for_a_period_that_ends_before_it_starts_is_a_bad_request_naming_to(string period)
    {
        using var auditor = server.Client(Roles.Auditor);

        using var response = await auditor.GetAsync($"/audit/actors/alice?{period}", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["to"]);
    }

    [Fact]
    public async Task An_auditor_sees_only_their_own_agencys_trail_of_an_actor_with_the_same_name_in_two_agencies()
    {
        var inA = await server.OpenCaseAsync(AgencyA);
        var inB = await server.OpenCaseAsync(AgencyB);
        await server.WaitForProjectionsAsync();
        using var auditorA = server.Client(Roles.Auditor, AgencyA);
        using var auditorB = server.Client(Roles.Auditor, AgencyB);

        var trailA = (await ReadJsonAsync(await auditorA.GetAsync("/audit/actors/alice?limit=10000", Ct))).AsArray();
        var trailB = (await ReadJsonAsync(await auditorB.GetAsync("/audit/actors/alice?limit=10000", Ct))).AsArray();
        using var otherCase = await auditorB.GetAsync($"/audit/cases/{inA}", Ct);

        Assert.Contains(trailA, e => e!["caseId"]!.GetValue<string>() == inA);
        Assert.DoesNotContain(trailA, e => e!["caseId"]!.GetValue<string>() == inB);
        Assert.Contains(trailB, e => e!["caseId"]!.GetValue<string>() == inB);
        Assert.DoesNotContain(trailB, e => e!["caseId"]!.GetValue<string>() == inA);
        Assert.Equal(HttpStatusCode.NotFound, otherCase.StatusCode);
    }
}
