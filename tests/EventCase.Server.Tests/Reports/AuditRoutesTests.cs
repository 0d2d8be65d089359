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

    [Fact]
    public async Task An_auditor_verifies_an_untouched_case_and_gets_its_head_to_compare_with_a_checkpoint()
    {
        var id = await server.OpenCaseAsync();
        using var auditor = server.Client(Roles.Auditor);
        var history = await ReadJsonAsync(await auditor.GetAsync($"/cases/{id}/history", Ct));

        using var response = await auditor.GetAsync($"/audit/cases/{id}/verification", Ct);
        var verdict = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(id, verdict["caseId"]!.GetValue<string>());
        Assert.True(verdict["intact"]!.GetValue<bool>());
        Assert.Equal(history["version"]!.GetValue<long>(), verdict["version"]!.GetValue<long>());
        Assert.Equal(verdict["version"]!.GetValue<long>(), verdict["eventsChecked"]!.GetValue<long>());
        Assert.Matches("^[0-9a-f]{64}$", verdict["headHash"]!.GetValue<string>());
        Assert.Null(verdict["finding"]);
    }

    [Fact]
    public async Task A_case_edited_with_sql_is_reported_broken_at_the_edited_version()
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        (await agent.PostAsync($"/cases/{id}/notes", Json("""{"text":"Called the citizen","visibility":"internal"}"""), Ct)).EnsureSuccessStatusCode();
        await TamperAsync(id, "UPDATE eventcase.events SET data = jsonb_set(data, '{text}', '\"nothing to see\"') WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 2");
        using var auditor = server.Client(Roles.Auditor);

        var verdict = await ReadJsonAsync(await auditor.GetAsync($"/audit/cases/{id}/verification", Ct));

        Assert.False(verdict["intact"]!.GetValue<bool>());
        Assert.Equal(2, verdict["finding"]!["version"]!.GetValue<long>());
        Assert.Equal("editedEvent", verdict["finding"]!["kind"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(verdict["finding"]!["detail"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_case_whose_first_event_was_deleted_is_reported_as_a_deleted_event_not_as_missing()
    {
        var id = await server.OpenCaseAsync();
        await TamperAsync(id, "DELETE FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 1");
        using var auditor = server.Client(Roles.Auditor);

        using var response = await auditor.GetAsync($"/audit/cases/{id}/verification", Ct);
        var verdict = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(verdict["intact"]!.GetValue<bool>());
        Assert.Equal(1, verdict["finding"]!["version"]!.GetValue<long>());
        Assert.Equal("deletedEvent", verdict["finding"]!["kind"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("no-such-case")]
    [InlineData("$catalog")]
    [InlineData("a%20b")]
    public async Task Verifying_a_case_that_is_not_there_is_a_not_found_problem(string id)
    {
        using var auditor = server.Client(Roles.Auditor);

        using var response = await auditor.GetAsync($"/audit/cases/{id}/verification", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("case.not-found", (await ReadJsonAsync(response))["code"]!.GetValue<string>());
    }

    /// <summary>Changes the case's rows in <paramref name="sql"/> ($1 = the agency, $2 = the case) as an insider with SQL access would.</summary>
    private async Task TamperAsync(string caseId, string sql)
    {
        await using var command = server.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(AgencyA);
        command.Parameters.AddWithValue(caseId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }
}
