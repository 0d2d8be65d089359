using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Admin;

public sealed class AdminRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<System.Text.Json.Nodes.JsonNode> SendOkAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
        return System.Text.Json.Nodes.JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task The_catalog_can_be_defined_updated_retired_and_reinstated_and_cases_follow_it()
    {
        using var admin = server.Client(Roles.Admin);
        await SendOkAsync(admin, HttpMethod.Post, "/admin/services", """
            {"code":"noise","name":"Noise complaint","description":"Loud noise","defaultPriority":"low","slaCalendarDays":2,
             "attributes":[{"code":"when","datatype":"datetime","required":true,"description":"When did it start?"}],"group":"Quality of life","keywords":["noise"]}
            """);
        var updated = await SendOkAsync(admin, HttpMethod.Put, "/admin/services/noise", """{"name":"Noise","description":"Loud noise at night","defaultPriority":"normal","slaHours":8}""");
        Assert.Contains(updated["services"]!.AsArray(), s => s!["definition"]!["code"]!.GetValue<string>() == "noise" && s["definition"]!["name"]!.GetValue<string>() == "Noise");

        await SendOkAsync(admin, HttpMethod.Post, "/admin/services/noise/retire", """{"reason":"Moved to the police"}""");
        using var agent = server.Client(Roles.Agent);
        using var refused = await agent.PostAsync("/cases", Json("""{"service":"noise","description":"Party","location":{"address":"1 Loud St"}}"""));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/case.service-not-offered", (await ReadJsonAsync(refused))["type"]!.GetValue<string>());

        await SendOkAsync(admin, HttpMethod.Post, "/admin/services/noise/reinstate");
        using var accepted = await agent.PostAsync("/cases", Json("""{"service":"noise","description":"Party","location":{"address":"1 Loud St"}}"""));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);

        using var again = await admin.PostAsync("/admin/services/noise/reinstate", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var unknown = await admin.PostAsync("/admin/services/nothing/retire", Json("""{"reason":"x"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Routing_rules_can_be_added_replaced_and_removed()
    {
        using var admin = server.Client(Roles.Admin);
        await SendOkAsync(admin, HttpMethod.Post, "/admin/routing/rules", """
            {"ruleId":"downtown-graffiti","priority":1,"services":["graffiti"],"area":{"name":"Downtown","south":42.0,"west":-72.0,"north":43.0,"east":-71.0},"team":"downtown"}
            """);
        var id = await server.OpenCaseAsync(service: "graffiti");
        using var agent = server.Client(Roles.Agent);
        Assert.Equal("downtown", (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["assignment"]!["team"]!.GetValue<string>());

        // A replacement names its rule in the path; a body that names another one is refused, not quietly overruled.
        using var mismatch = await admin.PutAsync("/admin/routing/rules/downtown-graffiti", Json("""{"ruleId":"uptown","priority":1,"team":"paint-crew"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.NotNull((await ReadJsonAsync(mismatch))["errors"]!["ruleId"]);
        await SendOkAsync(admin, HttpMethod.Put, "/admin/routing/rules/downtown-graffiti", """{"ruleId":"downtown-graffiti","priority":1,"services":["graffiti"],"team":"paint-crew"}""");
        var routing = await SendOkAsync(admin, HttpMethod.Delete, "/admin/routing/rules/downtown-graffiti");
        Assert.DoesNotContain(routing["rules"]!.AsArray(), r => r!["ruleId"]!.GetValue<string>() == "downtown-graffiti");
        using var missing = await admin.DeleteAsync("/admin/routing/rules/downtown-graffiti");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_calendar_the_week_cannot_make_is_refused_under_hours_in_words_without_parameter_names()
    {
        using var admin = server.Client(Roles.Admin);
        var before = await server.EventCountAsync();

        using var response = await admin.PutAsync("/admin/calendar", Json("""
            {"zone":"America/New_York","hours":[{"day":"monday","start":"08:00:00","end":"12:00:00"},{"day":"monday","start":"11:00:00","end":"17:00:00"}]}
            """));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("overlap", (await ReadJsonAsync(response))["errors"]!["hours"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", text, StringComparison.Ordinal);
        Assert.DoesNotContain("weeklyHours", text, StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_service_definition_the_catalog_refuses_is_422_with_errors_naming_each_member_at_fault()
    {
        using var admin = server.Client(Roles.Admin);
        var before = await server.EventCountAsync();

        using var defined = await admin.PostAsync("/admin/services", Json("""
            {"code":"bins","name":"Bins","description":"Bins","defaultPriority":"low","slaHours":8,"attributes":[
              {"code":"size","datatype":"singlevaluelist","required":true,"description":"Size?","values":[{"key":"s","name":"Small"},{"key":"s","name":"Also small"}]},
              {"code":"colour","datatype":"singlevaluelist","required":false,"description":"Colour?"},
              {"code":"size","datatype":"string","required":false,"description":"Size again?"}]}
            """));
        using var updated = await admin.PutAsync("/admin/services/pothole", Json("""
            {"name":"Pothole","description":"A hole","defaultPriority":"normal","slaHours":40,"attributes":[
              {"code":"depth","datatype":"number","required":false,"description":"Depth?","values":[{"key":"1","name":"One"}]}]}
            """));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, defined.StatusCode);
        var problem = await ReadJsonAsync(defined);
        Assert.Equal("catalog.invalid-definition", problem["code"]!.GetValue<string>());
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(
            ["attributes[0].code", "attributes[0].values[0].key", "attributes[0].values[1].key", "attributes[1].values", "attributes[2].code"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains("no values", errors["attributes[1].values"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, updated.StatusCode);
        Assert.Equal(["attributes[0].values"], (await ReadJsonAsync(updated))["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_routing_rule_added_with_an_id_of_code_characters_can_be_replaced_and_removed_by_that_id()
    {
        using var admin = server.Client(Roles.Admin);
        await SendOkAsync(admin, HttpMethod.Post, "/admin/routing/rules", """{"ruleId":"Rule_2.north-side","team":"roads"}""");

        await SendOkAsync(admin, HttpMethod.Put, "/admin/routing/rules/Rule_2.north-side", """{"priority":5,"team":"parks"}""");
        var routing = await SendOkAsync(admin, HttpMethod.Delete, "/admin/routing/rules/Rule_2.north-side");

        Assert.DoesNotContain(routing["rules"]!.AsArray(), r => r!["ruleId"]!.GetValue<string>() == "Rule_2.north-side");
    }

    [Fact]
    public async Task The_calendar_can_be_set_and_read_back_with_its_version()
    {
        using var admin = server.Client(Roles.Admin);
        var set = await SendOkAsync(admin, HttpMethod.Put, "/admin/calendar", """
            {"zone":"America/Chicago","hours":[{"day":"monday","start":"09:00:00","end":"17:00:00"},{"day":"tuesday","start":"09:00:00","end":"12:00:00"},{"day":"tuesday","start":"13:00:00","end":"17:00:00"}],"holidays":["2026-12-24"]}
            """);
        using var auditor = server.Client(Roles.Auditor);
        using var get = await auditor.GetAsync("/admin/calendar");
        var calendar = await ReadJsonAsync(get);
        Assert.Equal("America/Chicago", calendar["calendar"]!["zone"]!.GetValue<string>());
        Assert.Equal(set["version"]!.GetValue<long>(), calendar["version"]!.GetValue<long>());
        Assert.Equal($"\"{calendar["version"]}\"", get.Headers.ETag!.Tag);
    }
}
