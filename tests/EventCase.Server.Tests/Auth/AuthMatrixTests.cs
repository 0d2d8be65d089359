using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Auth;

/// <summary>Role × agency × route: who may use which case route, and that another agency's case is never there.</summary>
public sealed class AuthMatrixTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Everyone = "citizen,agent,supervisor,auditor,admin";
    private const string Participants = "citizen,agent,supervisor,admin";
    private const string Staff = "agent,supervisor,admin";
    private const string Supervisors = "supervisor,admin";
    private const string StaffAndAuditors = "agent,supervisor,auditor,admin";
    private const string Auditors = "supervisor,auditor,admin";

    /// <summary>Every route that names a case: method, path ({id} = the case), body, the roles it is open to.</summary>
    public static TheoryData<string, string, string, string> CaseRoutes => new()
    {
        { "GET", "/cases/{id}", "", Everyone },
        { "GET", "/cases/{id}/history", "", Everyone },
        { "GET", "/cases/{id}/as-of?version=1", "", Everyone },
        { "GET", "/cases/{id}/as-of?at=2100-01-01T00:00:00Z", "", Everyone },
        { "GET", "/sla/cases/{id}", "", StaffAndAuditors },
        { "GET", "/audit/cases/{id}", "", Auditors },
        { "GET", "/audit/cases/{id}/verification", "", Auditors },
        { "GET", "/audit/cases/{id}/export", "", Auditors },
        { "GET", "/audit/cases/{id}/export?format=csv", "", Auditors },
        { "POST", "/cases/{id}/assign", """{"team":"roads"}""", Staff },
        { "POST", "/cases/{id}/unassign", "{}", Staff },
        { "POST", "/cases/{id}/start-work", "", Staff },
        { "POST", "/cases/{id}/request-information", """{"question":"Where?"}""", Staff },
        { "POST", "/cases/{id}/information-received", """{"response":"Here"}""", Participants },
        { "POST", "/cases/{id}/notes", """{"text":"Hi","visibility":"public"}""", Participants },
        { "POST", "/cases/{id}/contacts", """{"direction":"inbound","channel":"phone","summary":"Call"}""", Staff },
        { "POST", "/cases/{id}/escalate", """{"toLevel":1,"reason":"Why"}""", Staff },
        { "POST", "/cases/{id}/deescalate", """{"toLevel":0,"reason":"Why"}""", Supervisors },
        { "POST", "/cases/{id}/priority", """{"to":"urgent"}""", Staff },
        { "POST", "/cases/{id}/transfer", """{"toAgency":"state","reason":"Why"}""", Supervisors },
        { "POST", "/cases/{id}/resolve", """{"resolutionCode":"done","publicSummary":"Done"}""", Staff },
        { "POST", "/cases/{id}/close", "", Staff },
        { "POST", "/cases/{id}/reopen", """{"reason":"Why"}""", Staff },
        { "POST", "/cases/{id}/cancel", """{"reason":"Why"}""", Staff },
        { "POST", "/cases/{id}/mark-duplicate", """{"originalCaseId":"{id}"}""", Staff },
        { "POST", "/cases/{id}/link-parent", """{"caseId":"{id}"}""", Staff },
        { "POST", "/cases/{id}/link-child", """{"caseId":"{id}"}""", Staff },
        { "POST", "/cases/{id}/feedback", """{"satisfaction":4}""", Participants },
    };

    [Theory]
    [MemberData(nameof(CaseRoutes))]
    public async Task Another_agencys_case_is_not_found_by_any_route_in_any_role_and_nothing_is_written(string method, string path, string body, string roles)
    {
        var id = await server.OpenCaseAsync(AgencyB, citizen: "citizen-1");
        var before = await server.EventCountAsync();
        foreach (var role in Roles.All)
        {
            using var client = server.Client(role, AgencyA);
            using var response = await SendAsync(client, method, path, body, id);
            var text = await response.Content.ReadAsStringAsync();
            var expected = roles.Split(',').Contains(role) ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden;
            Assert.True(expected == response.StatusCode, $"{role} {method} {path}: {(int)response.StatusCode} {text}");
            Assert.DoesNotContain("A hole", text, StringComparison.Ordinal);
        }

        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [MemberData(nameof(CaseRoutes))]
    public async Task Within_the_agency_each_role_may_use_exactly_the_routes_open_to_it(string method, string path, string body, string roles)
    {
        foreach (var role in Roles.All)
        {
            var id = await server.OpenCaseAsync(AgencyA, citizen: "citizen-1");
            using var client = server.Client(role, AgencyA, citizen: role == Roles.Citizen ? "citizen-1" : null);
            using var response = await SendAsync(client, method, path, body, id);
            var text = await response.Content.ReadAsStringAsync();
            if (roles.Split(',').Contains(role))
            {
                Assert.True(response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized or HttpStatusCode.InternalServerError),
                    $"{role} {method} {path}: {(int)response.StatusCode} {text}");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{role} {method} {path}: {(int)response.StatusCode} {text}");
                Assert.Contains($"A token with the role '{role}' may not use this route", text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CaseRoutes))]
    public async Task A_citizen_cannot_reach_another_citizens_case(string method, string path, string body, string roles)
    {
        var id = await server.OpenCaseAsync(AgencyA, citizen: "someone-else");
        var before = await server.EventCountAsync();
        using var client = server.Client(Roles.Citizen, AgencyA, citizen: "citizen-1");
        using var response = await SendAsync(client, method, path, body, id);
        var expected = roles.Split(',').Contains(Roles.Citizen) ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden;
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_citizen_sees_only_public_notes_and_only_their_own_cases_in_lists()
    {
        var mine = await server.OpenCaseAsync(AgencyA, citizen: "citizen-7");
        await server.OpenCaseAsync(AgencyA, citizen: "citizen-8");
        using var agent = server.Client(Roles.Agent);
        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{mine}/notes", """{"text":"Internal remark","visibility":"internal"}""");
        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{mine}/notes", """{"text":"Public reply","visibility":"public"}""");

        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-7");
        var view = await ReadJsonAsync(await citizen.GetAsync($"/cases/{mine}"));
        Assert.Equal(["Public reply"], view["notes"]!.AsArray().Select(n => n!["text"]!.GetValue<string>()));
        var history = await citizen.GetStringAsync($"/cases/{mine}/history");
        Assert.DoesNotContain("Internal remark", history, StringComparison.Ordinal);
        using var internalNote = await citizen.PostAsync($"/cases/{mine}/notes", Json("""{"text":"x","visibility":"internal"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, internalNote.StatusCode);

        var list = await ReadJsonAsync(await citizen.GetAsync("/cases"));
        Assert.All(list["items"]!.AsArray(), i => Assert.Equal("citizen-7", i!["citizenReference"]!.GetValue<string>()));

        using var auditor = server.Client(Roles.Auditor);
        Assert.Contains("Internal remark", await auditor.GetStringAsync($"/cases/{mine}/history"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_citizen_opens_cases_only_for_themselves()
    {
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-3");
        using var response = await citizen.PostAsync("/cases", Json("""{"service":"streetlight","description":"Dark","citizen":{"reference":"someone-else"},"location":{"address":"2 Elm St"}}"""));
        var id = (await ReadJsonAsync(response))["caseId"]!.GetValue<string>();
        using var agent = server.Client(Roles.Agent);
        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{id}"));
        Assert.Equal("citizen-3", view["citizen"]!["reference"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-jwt", HttpStatusCode.Unauthorized)]
    [InlineData("wrong-key", HttpStatusCode.Unauthorized)]
    [InlineData("bad-agency", HttpStatusCode.Forbidden)]
    [InlineData("unknown-role", HttpStatusCode.Forbidden)]
    public async Task Without_a_valid_token_nothing_is_readable(string? token, HttpStatusCode expected)
    {
        using var client = server.Client();
        var value = token switch
        {
            "wrong-key" => new EventCase.Server.Auth.TokenKeys(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]), new AuthSettings(), false).Issue("x", "agent", AgencyA, null, TimeSpan.FromHours(1)),
            "bad-agency" => server.Token(Roles.Agent, agency: "'; DROP TABLE x;--"),
            "unknown-role" => server.Token("janitor"),
            _ => token,
        };
        if (value is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", value);
        }

        using var response = await client.GetAsync("/cases");
        Assert.Equal(expected, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.StartsWith("https://eventcase.dev/problems/auth.", problem["type"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dev_token_endpoint_issues_tokens_that_the_api_accepts()
    {
        using var anonymous = server.Client();
        using var response = await anonymous.PostAsync("/dev/token", Json("""{"role":"supervisor","agency":"demo-city","subject":"sue"}"""));
        var token = (await ReadJsonAsync(response))["accessToken"]!.GetValue<string>();
        anonymous.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var list = await anonymous.GetAsync("/cases");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);

        using var bad = await server.Client().PostAsync("/dev/token", Json("""{"role":"root"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/admin/services", "", StaffAndAuditors)]
    [InlineData("GET", "/admin/routing", "", StaffAndAuditors)]
    [InlineData("GET", "/admin/calendar", "", StaffAndAuditors)]
    [InlineData("POST", "/admin/services/graffiti/retire", """{"reason":"x"}""", "admin")]
    [InlineData("PUT", "/admin/routing/default", """{"team":"street-team"}""", "admin")]
    [InlineData("GET", "/queues", "", StaffAndAuditors)]
    [InlineData("GET", "/sla/breaching?withinHours=4", "", StaffAndAuditors)]
    [InlineData("GET", "/audit/actors/alice", "", Auditors)]
    [InlineData("GET", "/audit/export?from=2026-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", "", Auditors)]
    [InlineData("GET", "/audit/export?from=2026-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&format=csv", "", Auditors)]
    [InlineData("GET", "/statistics/transparency", "", StaffAndAuditors)]
    [InlineData("GET", "/statistics/transparency.csv", "", StaffAndAuditors)]
    [InlineData("GET", "/cases", "", Everyone)]
    [InlineData("POST", "/cases", """{"service":"graffiti","description":"Tag","location":{"address":"3 Oak St"}}""", Participants)]
    public async Task Agency_wide_routes_are_open_to_their_roles_only(string method, string path, string body, string roles)
    {
        foreach (var role in Roles.All)
        {
            using var client = server.Client(role);
            using var response = await SendAsync(client, method, path, body, "");
            var allowed = roles.Split(',').Contains(role);
            Assert.True(allowed ? response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Conflict : response.StatusCode == HttpStatusCode.Forbidden,
                $"{role} {method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string body, string id)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal));
        if (method != "GET")
        {
            request.Content = Json(body.Replace("{id}", id, StringComparison.Ordinal));
        }

        return client.SendAsync(request);
    }
}
