using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Admin;

/// <summary><c>GET /admin/projections</c> and <c>POST /admin/cases/{id}/read-models/rebuild</c>.</summary>
public sealed class ReadModelsAdminTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private NpgsqlDataSource DataSource => server.Services.GetRequiredService<EventCaseDatabase>().DataSource;

    private async Task<int> ExecuteAsync(string sql, string caseId)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        return await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<long> ScalarAsync(string sql, string caseId)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = caseId });
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<JsonNode> RebuildAsync(HttpClient client, string caseId, string query = "")
    {
        using var response = await client.PostAsync($"/admin/cases/{caseId}/read-models/rebuild{query}", null, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static JsonNode ReadModel(JsonNode result, string name) =>
        result["readModels"]!.AsArray().Single(r => r!["projection"]!.GetValue<string>() == name)!;

    [Fact]
    public async Task A_cases_spoiled_queue_row_and_lost_audit_entry_are_reported_by_a_dry_run_and_put_right_by_a_rebuild()
    {
        var caseId = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        using (var escalated = await agent.PostAsync($"/cases/{caseId}/escalate", Json("""{"toLevel":2,"reason":"Near a school"}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, escalated.StatusCode);
        }

        await server.WaitForProjectionsAsync();
        Assert.Equal(1, await ExecuteAsync("UPDATE eventcase.work_queue SET escalation_level = 0 WHERE row_key = $1", caseId));
        Assert.Equal(1, await ExecuteAsync("DELETE FROM eventcase.audit_entries WHERE entry_id = (SELECT max(entry_id) FROM eventcase.audit_entries WHERE row_key = $1)", caseId));
        using var admin = server.Client(Roles.Admin);

        var dry = await RebuildAsync(admin, caseId, "?dryRun=true");
        Assert.True(dry["dryRun"]!.GetValue<bool>());
        Assert.True(dry["changed"]!.GetValue<bool>());
        Assert.True(ReadModel(dry, "work_queue")["changed"]!.GetValue<bool>());
        Assert.Null(ReadModel(dry, "work_queue")["upToPosition"]);
        var audit = ReadModel(dry, "audit_trail");
        Assert.True(audit["changed"]!.GetValue<bool>());
        Assert.Equal(audit["entriesBefore"]!.GetValue<int>() + 1, audit["entriesAfter"]!.GetValue<int>());
        Assert.NotNull(audit["upToPosition"]);
        Assert.False(ReadModel(dry, "case_summary")["changed"]!.GetValue<bool>());
        Assert.Equal(0, await ScalarAsync("SELECT escalation_level FROM eventcase.work_queue WHERE row_key = $1", caseId));

        var rebuilt = await RebuildAsync(admin, caseId);
        Assert.False(rebuilt["dryRun"]!.GetValue<bool>());
        Assert.True(rebuilt["changed"]!.GetValue<bool>());
        Assert.Equal(2, await ScalarAsync("SELECT escalation_level FROM eventcase.work_queue WHERE row_key = $1", caseId));
        Assert.Equal(audit["entriesAfter"]!.GetValue<int>(), await ScalarAsync("SELECT count(*) FROM eventcase.audit_entries WHERE row_key = $1", caseId));

        var again = await RebuildAsync(admin, caseId);
        Assert.False(again["changed"]!.GetValue<bool>());
        Assert.All(again["readModels"]!.AsArray(), r => Assert.False(r!["changed"]!.GetValue<bool>(), r.ToJsonString()));
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task Only_an_admin_of_the_cases_own_agency_can_rebuild_its_rows_and_a_bad_flag_is_named()
    {
        var caseId = await server.OpenCaseAsync();

        using var agent = server.Client(Roles.Agent);
        using var forbidden = await agent.PostAsync($"/admin/cases/{caseId}/read-models/rebuild", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        using var otherAdmin = server.Client(Roles.Admin, AgencyB);
        using var elsewhere = await otherAdmin.PostAsync($"/admin/cases/{caseId}/read-models/rebuild", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        Assert.Equal("case.not-found", (await ReadJsonAsync(elsewhere))["code"]!.GetValue<string>());

        using var admin = server.Client(Roles.Admin);
        using var unknown = await admin.PostAsync("/admin/cases/no-such-case/read-models/rebuild", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var hostile = await admin.PostAsync("/admin/cases/'%3B%20DROP%20TABLE%20x/read-models/rebuild", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, hostile.StatusCode);
        using var oversized = await admin.PostAsync($"/admin/cases/{new string('c', 5000)}/read-models/rebuild", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, oversized.StatusCode);

        using var bad = await admin.PostAsync($"/admin/cases/{caseId}/read-models/rebuild?dryRun=maybe", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotNull((await ReadJsonAsync(bad))["errors"]!["dryRun"]);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task The_projections_state_is_readable_by_admins_with_mode_lag_and_the_last_rebuilds_progress()
    {
        await server.OpenCaseAsync();
        await server.WaitForProjectionsAsync();

        using var admin = server.Client(Roles.Admin);
        using var response = await admin.GetAsync("/admin/projections", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var projections = JsonNode.Parse(text)!["projections"]!.AsArray();
        Assert.Equal(["audit_trail", "case_facts", "case_numbers", "case_summary", "sla_clocks", "work_queue"], projections.Select(p => p!["name"]!.GetValue<string>()));
        var queue = projections.Single(p => p!["name"]!.GetValue<string>() == "work_queue")!;
        Assert.Equal("inline", queue["mode"]!.GetValue<string>());
        Assert.Equal("running", queue["state"]!.GetValue<string>());
        var facts = projections.Single(p => p!["name"]!.GetValue<string>() == "case_facts")!;
        Assert.Equal("async", facts["mode"]!.GetValue<string>());
        Assert.Equal(0, facts["lagEvents"]!.GetValue<long>());
        Assert.True(facts["headPosition"]!.GetValue<long>() >= facts["checkpointPosition"]!.GetValue<long>());
        Assert.Null(facts["failure"]);

        using var agent = server.Client(Roles.Agent);
        using var forbidden = await agent.GetAsync("/admin/projections", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var anonymous = server.Client();
        using var unauthorized = await anonymous.GetAsync("/admin/projections", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }
}
