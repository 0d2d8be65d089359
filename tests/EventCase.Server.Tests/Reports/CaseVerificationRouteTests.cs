using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

/// <summary>
/// <c>GET /audit/cases/{id}/verification</c>. A class of its own: its tests alter events with SQL, which can stop the
/// async projections of the fixture's database (an event without its case's opening), so no other test shares it.
/// </summary>
public sealed class CaseVerificationRouteTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
