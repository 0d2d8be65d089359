using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

public sealed class CaseRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Opening_a_case_routes_it_numbers_it_and_answers_201_with_its_version_as_etag()
    {
        using var client = server.Client(Roles.Agent);
        using var response = await client.PostAsync("/cases", Json("""
            {"service":"pothole","description":"Deep hole on Main St","citizen":{"reference":"c-9","email":"a@example.org"},
             "location":{"latitude":42.35,"longitude":-71.06,"address":"1 Main St"},"attributes":{"depth":["deep"]}}
            """));
        var body = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
        Assert.StartsWith("DEMO-", body["number"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["case.opened.v1", "case.assigned.v1"], body["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()));
        Assert.Equal($"/cases/{body["caseId"]}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_case_goes_through_its_lifecycle_and_every_step_shows_in_get_history_and_time_travel()
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        using var supervisor = server.Client(Roles.Supervisor);
        await PostOkAsync(agent, $"/cases/{id}/assign", """{"team":"roads","agent":"bob"}""");
        await PostOkAsync(agent, $"/cases/{id}/start-work", "");
        await PostOkAsync(agent, $"/cases/{id}/request-information", """{"question":"Which side of the street?"}""");
        await PostOkAsync(agent, $"/cases/{id}/information-received", """{"response":"North side"}""");
        await PostOkAsync(agent, $"/cases/{id}/notes", """{"text":"Crew scheduled","visibility":"internal"}""");
        await PostOkAsync(agent, $"/cases/{id}/notes", """{"text":"We are on it","visibility":"public"}""");
        await PostOkAsync(agent, $"/cases/{id}/contacts", """{"direction":"outbound","channel":"phone","summary":"Called back"}""");
        await PostOkAsync(agent, $"/cases/{id}/priority", """{"to":"high","reason":"school route"}""");
        await PostOkAsync(agent, $"/cases/{id}/escalate", """{"toLevel":2,"reason":"Council member asked"}""");
        await PostOkAsync(supervisor, $"/cases/{id}/deescalate", """{"toLevel":1,"reason":"Handled"}""");
        await PostOkAsync(agent, $"/cases/{id}/unassign", """{"reason":"wrong crew"}""");
        await PostOkAsync(agent, $"/cases/{id}/assign", """{"team":"roads"}""");
        await PostOkAsync(agent, $"/cases/{id}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
        await PostOkAsync(agent, $"/cases/{id}/feedback", """{"satisfaction":5,"comment":"Fast"}""");
        await PostOkAsync(agent, $"/cases/{id}/reopen", """{"reason":"Sank again"}""");
        await PostOkAsync(agent, $"/cases/{id}/resolve", """{"resolutionCode":"repaired","publicSummary":"Refilled"}""");
        await PostOkAsync(agent, $"/cases/{id}/close", "");

        using var get = await agent.GetAsync($"/cases/{id}");
        var view = await ReadJsonAsync(get);
        Assert.Equal("closed", view["status"]!.GetValue<string>());
        Assert.Equal(1, view["escalationLevel"]!.GetValue<int>());
        Assert.Equal(2, view["notes"]!.AsArray().Count);
        var version = view["version"]!.GetValue<long>();
        Assert.Equal($"\"{version}\"", get.Headers.ETag!.Tag);

        using var history = await agent.GetAsync($"/cases/{id}/history");
        var events = (await ReadJsonAsync(history))["events"]!.AsArray();
        Assert.Equal(version, events.Count);
        Assert.All(events, e => Assert.Equal("alice", e!["metadata"]!["actorId"]!.GetValue<string>()));
        Assert.Contains(events, e => e!["type"]!.GetValue<string>() == "case.escalated.v1");

        using var asOf = await agent.GetAsync($"/cases/{id}/as-of?version=4");
        var then = await ReadJsonAsync(asOf);
        Assert.Equal(4, then["asOfVersion"]!.GetValue<long>());
        Assert.Equal("inProgress", then["case"]!["status"]!.GetValue<string>());

        var openedAt = events[0]!["recordedAt"]!.GetValue<string>();
        using var atInstant = await agent.GetAsync($"/cases/{id}/as-of?at={Uri.EscapeDataString(openedAt)}");
        Assert.Equal(HttpStatusCode.OK, atInstant.StatusCode);
        Assert.Equal("assigned", (await ReadJsonAsync(atInstant))["case"]!["status"]!.GetValue<string>());

        using var before = await agent.GetAsync($"/cases/{id}/as-of?at=2000-01-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
    }

    [Fact]
    public async Task Cancel_transfer_duplicate_and_links_have_their_routes()
    {
        var parent = await server.OpenCaseAsync();
        var child = await server.OpenCaseAsync();
        var duplicate = await server.OpenCaseAsync();
        var cancelled = await server.OpenCaseAsync();
        var transferred = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        using var supervisor = server.Client(Roles.Supervisor);
        await PostOkAsync(agent, $"/cases/{child}/link-parent", $$"""{"caseId":"{{parent}}"}""");
        await PostOkAsync(agent, $"/cases/{parent}/link-child", $$"""{"caseId":"{{child}}"}""");
        await PostOkAsync(agent, $"/cases/{duplicate}/mark-duplicate", $$"""{"originalCaseId":"{{parent}}"}""");
        await PostOkAsync(agent, $"/cases/{cancelled}/cancel", """{"reason":"Withdrawn"}""");
        await PostOkAsync(supervisor, $"/cases/{transferred}/transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"State road"}""");

        using var get = await agent.GetAsync($"/cases/{parent}");
        Assert.Equal(child, (await ReadJsonAsync(get))["children"]![0]!.GetValue<string>());
        using var cycle = await agent.PostAsync($"/cases/{parent}/link-parent", Json($$"""{"caseId":"{{child}}"}"""));
        Assert.Equal(HttpStatusCode.Conflict, cycle.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.link-cycle", (await ReadJsonAsync(cycle))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_rejected_command_is_a_problem_with_the_rejection_code_as_its_type_and_writes_nothing()
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await PostOkAsync(agent, $"/cases/{id}/cancel", """{"reason":"Withdrawn"}""");
        var before = await server.EventCountAsync();
        using var response = await agent.PostAsync($"/cases/{id}/assign", Json("""{"team":"roads"}"""));
        var problem = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.invalid-status", problem["type"]!.GetValue<string>());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Cancelled", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task Input_a_case_rule_refuses_is_422_naming_the_field()
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        using var response = await agent.PostAsync($"/cases/{id}/escalate", Json("""{"toLevel":1,"reason":"   "}"""));
        var problem = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(problem["errors"]!["reason"]);

        using var bad = await agent.PostAsync("/cases", Json("""{"service":"pothole","description":"x","attributes":{"depth":["bottomless"]}}"""));
        var attributes = await ReadJsonAsync(bad);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.invalid-attributes", attributes["type"]!.GetValue<string>());
        Assert.NotNull(attributes["errors"]!["attributes.depth"]);
    }

    [Fact]
    public async Task A_case_can_be_found_by_its_number()
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
        using var response = await agent.GetAsync($"/cases/by-number/{number}");
        Assert.Equal(id, (await ReadJsonAsync(response))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_case_number_the_citizen_may_not_see_is_answered_exactly_like_a_number_no_case_has()
    {
        var id = await server.OpenCaseAsync(citizen: "someone-else");
        using var agent = server.Client(Roles.Agent);
        var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
        var unused = number[..number.LastIndexOf('-')] + "-999999";
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");

        using var notTheirs = await citizen.GetAsync($"/cases/by-number/{number}");
        using var nobodys = await citizen.GetAsync($"/cases/by-number/{unused}");

        Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, nobodys.StatusCode);
        var notTheirsText = await notTheirs.Content.ReadAsStringAsync();
        Assert.DoesNotContain(id, notTheirsText, StringComparison.Ordinal);
        Assert.Equal(Scrubbed(await ReadJsonAsync(nobodys), unused), Scrubbed(JsonNode.Parse(notTheirsText)!, number));

        // The answer with the number in place of the one asked for; the correlation id differs per request.
        static string Scrubbed(JsonNode problem, string number)
        {
            problem.AsObject().Remove("correlationId");
            return problem.ToJsonString().Replace(number, "{number}", StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Lists_queues_sla_audit_and_statistics_answer_from_the_read_models()
    {
        // Two assigned cases of this test's own, so a page of one has a next page whatever else the class opened first.
        await server.OpenCaseAsync();
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent, subject: "lister");
        await PostOkAsync(agent, $"/cases/{id}/escalate", """{"toLevel":1,"reason":"Busy road"}""");
        await server.WaitForProjectionsAsync();

        var list = await ReadJsonAsync(await agent.GetAsync("/cases?status=assigned&limit=1"));
        Assert.Single(list["items"]!.AsArray());
        Assert.NotNull(list["nextCursor"]);
        var next = await agent.GetAsync($"/cases?status=assigned&limit=1&cursor={Uri.EscapeDataString(list["nextCursor"]!.GetValue<string>())}");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);

        var queue = await ReadJsonAsync(await agent.GetAsync("/queues?team=roads"));
        Assert.Equal(id, queue["items"]![0]!["caseId"]!.GetValue<string>());

        using var sla = await agent.GetAsync($"/sla/cases/{id}");
        Assert.Equal(HttpStatusCode.OK, sla.StatusCode);
        using var breaching = await agent.GetAsync("/sla/breaching?withinHours=100");
        Assert.Equal(HttpStatusCode.OK, breaching.StatusCode);

        using var auditor = server.Client(Roles.Auditor);
        var trail = (await ReadJsonAsync(await auditor.GetAsync($"/audit/cases/{id}"))).AsArray();
        Assert.Contains(trail, e => e!["actorId"]!.GetValue<string>() == "lister");
        var actor = (await ReadJsonAsync(await auditor.GetAsync("/audit/actors/lister"))).AsArray();
        Assert.NotEmpty(actor);

        using var json = await agent.GetAsync("/statistics/transparency?granularity=day");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        using var csv = await agent.GetAsync("/statistics/transparency.csv?granularity=month");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("agency,service,granularity", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static async Task<JsonNode> PostOkAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
