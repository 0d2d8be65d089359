using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Cases.CaseRoutesTests;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>
/// Duplicates and parent/child links as agents make them: whatever order and side they link from, a case has at most
/// one parent, no case descends from itself, and a case is merged only into one that carries on.
/// </summary>
public sealed class CaseLinkRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_cases_cannot_be_marked_duplicates_of_each_other()
    {
        var first = await server.OpenCaseAsync();
        var second = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{first}/mark-duplicate", $$"""{"originalCaseId":"{{second}}"}""");

        using var response = await agent.PostAsync($"/cases/{second}/mark-duplicate", Json($$"""{"originalCaseId":"{{first}}"}"""), Ct);
        var problem = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.original-does-not-carry-on", problem["type"]!.GetValue<string>());
        var firstNumber = (await ReadJsonAsync(await agent.GetAsync($"/cases/{first}", Ct)))["number"]!.GetValue<string>();
        Assert.Contains($"case {firstNumber} is Duplicate", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("assigned", (await ReadJsonAsync(await agent.GetAsync($"/cases/{second}", Ct)))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_case_cannot_be_merged_into_a_cancelled_case()
    {
        var cancelled = await server.OpenCaseAsync();
        var live = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{cancelled}/cancel", """{"reason":"Withdrawn"}""");

        using var response = await agent.PostAsync($"/cases/{live}/mark-duplicate", Json($$"""{"originalCaseId":"{{cancelled}}"}"""), Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.original-does-not-carry-on", (await ReadJsonAsync(response))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_case_can_be_merged_into_a_closed_case()
    {
        var closed = await server.OpenCaseAsync();
        var late = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{closed}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
        await PostOkAsync(agent, $"/cases/{closed}/close", "");

        await PostOkAsync(agent, $"/cases/{late}/mark-duplicate", $$"""{"originalCaseId":"{{closed}}"}""");

        var original = await GetAsync(agent, closed);
        Assert.Equal("closed", original["status"]!.GetValue<string>());
        Assert.Equal([late], original["duplicates"]!.AsArray().Select(d => d!["caseId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Open311_shows_a_merged_request_closed_with_a_note_naming_the_request_that_carries_it_on()
    {
        var original = await server.OpenCaseAsync();
        var duplicate = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        var originalNumber = (await GetAsync(agent, original))["number"]!.GetValue<string>();
        var duplicateNumber = (await PostOkAsync(agent, $"/cases/{duplicate}/mark-duplicate", $$"""{"originalCaseId":"{{original}}"}"""))["number"]!.GetValue<string>();

        using var anonymous = server.Client();
        var request = (await ReadJsonAsync(await anonymous.GetAsync($"/open311/v2/requests/{duplicateNumber}.json", Ct)))[0]!;
        Assert.Equal("closed", request["status"]!.GetValue<string>());
        Assert.Equal($"Duplicate of request {originalNumber}, which carries it on.", request["status_notes"]!.GetValue<string>());
        var carried = (await ReadJsonAsync(await anonymous.GetAsync($"/open311/v2/requests/{originalNumber}.json", Ct)))[0]!;
        Assert.Equal("open", carried["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_original_shows_the_cases_merged_into_it_in_its_view_history_and_audit_trail()
    {
        var original = await server.OpenCaseAsync();
        var first = await server.OpenCaseAsync(citizen: "citizen-2");
        var second = await server.OpenCaseAsync(citizen: null);
        using var agent = server.Client(Roles.Agent);
        var before = await GetAsync(agent, original);

        var firstNumber = (await PostOkAsync(agent, $"/cases/{first}/mark-duplicate", $$"""{"originalCaseId":"{{original}}"}"""))["number"]!.GetValue<string>();
        var secondNumber = (await PostOkAsync(agent, $"/cases/{second}/mark-duplicate", $$"""{"originalCaseId":"{{original}}"}"""))["number"]!.GetValue<string>();

        var view = await GetAsync(agent, original);
        Assert.Equal(before["status"]!.GetValue<string>(), view["status"]!.GetValue<string>());
        Assert.Equal(before["version"]!.GetValue<long>() + 2, view["version"]!.GetValue<long>());
        Assert.Equal(
            [(first, firstNumber), (second, secondNumber)],
            view["duplicates"]!.AsArray().Select(d => (d!["caseId"]!.GetValue<string>(), d["number"]!.GetValue<string>())));
        Assert.Equal(original, (await GetAsync(agent, first))["duplicateOf"]!.GetValue<string>());
        Assert.Empty((await GetAsync(agent, first))["duplicates"]!.AsArray());

        // The original's citizen sees that another report was merged, not who made it.
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");
        Assert.Equal(2, (await GetAsync(citizen, original))["duplicates"]!.AsArray().Count);
        using var historyResponse = await citizen.GetAsync($"/cases/{original}/history", Ct);
        var merged = (await ReadJsonAsync(historyResponse))["events"]!.AsArray().Where(e => e!["type"]!.GetValue<string>() == "case.duplicate-merged.v1").ToList();
        Assert.Equal(2, merged.Count);
        Assert.Equal(firstNumber, merged[0]!["data"]!["duplicateNumber"]!.GetValue<string>());
        Assert.DoesNotContain("citizen-2", merged[0]!.ToJsonString(), StringComparison.Ordinal);

        await server.WaitForProjectionsAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        using var trail = await supervisor.GetAsync($"/audit/cases/{original}", Ct);
        var entries = (await ReadJsonAsync(trail)).AsArray();
        Assert.Equal($"Case {secondNumber} was merged into this case as a duplicate", entries[^1]!["summary"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_case_that_duplicates_were_merged_into_cannot_be_cancelled_but_can_be_resolved()
    {
        var original = await server.OpenCaseAsync();
        var duplicate = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{duplicate}/mark-duplicate", $$"""{"originalCaseId":"{{original}}"}""");
        var before = await server.EventCountAsync();

        using var response = await agent.PostAsync($"/cases/{original}/cancel", Json("""{"reason":"Withdrawn"}"""), Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.has-duplicates", (await ReadJsonAsync(response))["type"]!.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
        await PostOkAsync(agent, $"/cases/{original}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
    }

    [Fact]
    public async Task Linking_a_child_from_the_parent_records_the_parent_on_the_child_and_the_reverse()
    {
        var parent = await server.OpenCaseAsync();
        var fromParent = await server.OpenCaseAsync();
        var fromChild = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);

        await PostOkAsync(agent, $"/cases/{parent}/link-child", $$"""{"caseId":"{{fromParent}}"}""");
        await PostOkAsync(agent, $"/cases/{fromChild}/link-parent", $$"""{"caseId":"{{parent}}"}""");

        Assert.Equal(parent, (await GetAsync(agent, fromParent))["parent"]!.GetValue<string>());
        Assert.Equal([fromParent, fromChild], (await GetAsync(agent, parent))["children"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task Linking_both_sides_as_before_links_once()
    {
        var parent = await server.OpenCaseAsync();
        var child = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);

        await PostOkAsync(agent, $"/cases/{child}/link-parent", $$"""{"caseId":"{{parent}}"}""");
        var second = await PostOkAsync(agent, $"/cases/{parent}/link-child", $$"""{"caseId":"{{child}}"}""");

        Assert.Empty(second["events"]!.AsArray());
        Assert.Equal([child], (await GetAsync(agent, parent))["children"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task A_child_of_one_case_cannot_be_linked_under_a_second_parent_from_the_parents_side()
    {
        var first = await server.OpenCaseAsync();
        var second = await server.OpenCaseAsync();
        var child = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{first}/link-child", $$"""{"caseId":"{{child}}"}""");
        var before = await server.EventCountAsync();

        using var response = await agent.PostAsync($"/cases/{second}/link-child", Json($$"""{"caseId":"{{child}}"}"""), Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.already-has-parent", (await ReadJsonAsync(response))["type"]!.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
        Assert.Empty((await GetAsync(agent, second))["children"]!.AsArray());
    }

    [Fact]
    public async Task Linking_children_from_the_parents_side_cannot_make_a_cycle()
    {
        var a = await server.OpenCaseAsync();
        var b = await server.OpenCaseAsync();
        var c = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{a}/link-child", $$"""{"caseId":"{{b}}"}""");
        await PostOkAsync(agent, $"/cases/{b}/link-child", $$"""{"caseId":"{{c}}"}""");

        using var response = await agent.PostAsync($"/cases/{c}/link-child", Json($$"""{"caseId":"{{a}}"}"""), Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.link-cycle", (await ReadJsonAsync(response))["type"]!.GetValue<string>());
        Assert.Empty((await GetAsync(agent, c))["children"]!.AsArray());
    }

    [Fact]
    public async Task A_link_to_another_agencys_case_is_400_naming_caseId_and_a_link_to_itself_409_from_either_side()
    {
        var own = await server.OpenCaseAsync();
        var theirs = await server.OpenCaseAsync(AgencyB);
        using var agent = server.Client(Roles.Agent);
        var before = await server.EventCountAsync();

        foreach (var side in new[] { "link-parent", "link-child" })
        {
            using var other = await agent.PostAsync($"/cases/{own}/{side}", Json($$"""{"caseId":"{{theirs}}"}"""), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
            Assert.NotNull((await ReadJsonAsync(other))["errors"]!["caseId"]);

            using var itself = await agent.PostAsync($"/cases/{own}/{side}", Json($$"""{"caseId":"{{own}}"}"""), Ct);
            Assert.Equal(HttpStatusCode.Conflict, itself.StatusCode);
            Assert.Equal("https://eventcase.dev/problems/case.link-to-itself", (await ReadJsonAsync(itself))["type"]!.GetValue<string>());
        }

        Assert.Equal(before, await server.EventCountAsync());
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/cases/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }
}
