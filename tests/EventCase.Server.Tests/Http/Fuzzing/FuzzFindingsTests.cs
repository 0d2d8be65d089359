using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>What the OpenAPI fuzzer (<c>OpenApiFuzzTests</c>) found, each pinned by the request that showed it.</summary>
public sealed class FuzzFindingsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Hours = """[{"day":"monday","start":"08:00:00","end":"17:00:00"}]""";

    [Theory]
    [InlineData($$"""{"zone":"America/New_York","hours":{{Hours}}}""", "holidays", "is required.")]
    [InlineData($$"""{"zone":"America/New_York","hours":{{Hours}},"holidays":null}""", "holidays", "is required.")]
    [InlineData("""{"zone":"America/New_York","holidays":[]}""", "hours", "is required.")]
    [InlineData("""{"zone":"America/New_York","hours":[{"day":"monday","start":"08:00:00"}],"holidays":[]}""", "hours[0].end", "is required.")]
    [InlineData("""{"zone":"America/New_York","hours":[{"day":"monday","end":"17:00:00"}],"holidays":[]}""", "hours[0].start", "is required.")]
    [InlineData("""{"zone":"America/New_York","hours":[{"start":"08:00:00","end":"17:00:00"}],"holidays":[]}""", "hours[0].day", "is required.")]
    public async Task A_calendar_lacking_a_member_is_refused_naming_it_and_cases_can_still_be_opened(string body, string field, string message)
    {
        // A calendar without holidays was written with none at all, which the store then refused to read: every later
        // case of the agency was a 500. A period without its end was taken as ending at midnight.
        var before = await server.EventCountAsync();
        using var admin = server.Client(Roles.Admin);

        using var response = await admin.PutAsync("/admin/calendar", Json(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(message, (await ReadJsonAsync(response))["errors"]?[field]?[0]?.GetValue<string>());
        Assert.DoesNotContain("EventCase.", text, StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
        await server.OpenCaseAsync();
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData("/cases/{id}/priority", """{"to":"low,normal"}""", "to")]
    [InlineData("/cases/{id}/contacts", """{"direction":"inbound,outbound","channel":"phone","summary":"Call"}""", "direction")]
    [InlineData("/cases", """{"service":"pothole","description":"A hole","channel":"web,phone","location":{"address":"1 Main St"}}""", "channel")]
    public async Task An_enum_member_given_as_a_list_of_names_is_refused_naming_it(string path, string body, string field)
    {
        // The string-enum converter read "low,normal" as the two flags combined: the priority became "normal".
        var id = await server.OpenCaseAsync();
        var before = await server.EventCountAsync();
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.PostAsync(path.Replace("{id}", id, StringComparison.Ordinal), Json(body));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("must be one value, not a comma-separated list.", (await ReadJsonAsync(response))["errors"]?[field]?[0]?.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [InlineData("a\\uffffb")]
    [InlineData("a\\ufdd0b")]
    [InlineData("a\\udbff\\udfffb")]
    public async Task An_agent_id_holding_a_unicode_noncharacter_is_refused_naming_it(string agentJson)
    {
        // Identifiers refused control characters only, so the noncharacter reached the case's events and every output.
        var id = await server.OpenCaseAsync();
        var before = await server.EventCountAsync();
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.PostAsync($"/cases/{id}/assign", Json($$"""{"team":"roads","agent":"{{agentJson}}"}"""));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.NotNull((await ReadJsonAsync(response))["errors"]?["agent"]);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [InlineData(""" "slaHours":5,"slaCalendarDays":2 """)]
    [InlineData(""" "description":"d" """)]
    public async Task A_service_with_both_or_neither_sla_target_names_both_members(string members)
    {
        var before = await server.EventCountAsync();
        using var admin = server.Client(Roles.Admin);

        using var response = await admin.PostAsync("/admin/services", Json($$"""{"code":"sla-pair","name":"Pair",{{members}}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await ReadJsonAsync(response))["errors"]!;
        Assert.NotNull(errors["slaHours"]);
        Assert.NotNull(errors["slaCalendarDays"]);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [InlineData("description=A%00hole", "description: must not contain")]
    [InlineData("first_name=A%00nn", "first_name: must not contain")]
    [InlineData("account_id=acct&device_id=d%01", "device_id: must not contain")]
    [InlineData("account_id=acct&device_id=d%EF%BF%BF", "device_id: must not contain")]
    [InlineData("account_id=a%01", "account_id: must not contain")]
    [InlineData("first_name=%01", "first_name: must not contain")]
    public async Task An_open311_form_field_holding_a_character_no_text_may_hold_is_refused_naming_that_field(string field, string said)
    {
        // A NUL made the form reader refuse the form as a whole ("The form could not be read."); a device_id beside an
        // account_id was not looked at; account_id and first_name were named by the citizen's members, "reference" and "name".
        var before = await server.EventCountAsync();
        using var client = server.Client();

        using var response = await client.PostAsync("/open311/v2/requests.json", Form(
            "api_key=agent-key-a&service_code=pothole&address_string=1+Main+St&" + field));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.StartsWith(said, System.Text.Json.Nodes.JsonNode.Parse(text)![0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task An_open311_account_id_too_long_for_a_citizen_reference_is_refused_naming_account_id()
    {
        using var client = server.Client();

        using var response = await client.PostAsync("/open311/v2/requests.json", Form(
            "api_key=agent-key-a&service_code=pothole&address_string=1+Main+St&account_id=" + new string('a', 300)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("account_id: is at most 200 characters.", (await ReadJsonAsync(response))[0]!["description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("a%00b")]
    [InlineData("a%07b")]
    [InlineData("a%EF%BF%BEb")]
    public async Task An_open311_service_request_id_holding_a_control_character_or_noncharacter_is_refused_naming_it(string id)
    {
        // Each id was looked up as given and not found: a 200 with an empty list, as if the request did not exist.
        using var client = server.Client();

        using var response = await client.GetAsync($"/open311/v2/requests.json?api_key=agent-key-a&service_request_id=DEMO-2026-000001,{id}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("service_request_id: ", (await ReadJsonAsync(response))[0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static ByteArrayContent Form(string form)
    {
        // No charset: one would make the reader decode the escapes as that charset, not UTF-8.
        var content = new ByteArrayContent(System.Text.Encoding.ASCII.GetBytes(form));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return content;
    }
}
