using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Auth;

/// <summary>
/// What a caller can learn of cases that are not theirs through the parts of a request other than the case id: paging
/// cursors minted for another agency or citizen, If-Match, Idempotency-Key, and the X-Forwarded-* and CORS headers a
/// proxy or a browser would send. None of them answers differently for a case the caller may not see.
/// </summary>
public sealed class ExistenceProbeTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_list_cursor_minted_for_another_agency_or_citizen_pages_only_through_the_callers_own_cases()
    {
        for (var i = 0; i < 3; i++)
        {
            await server.OpenCaseAsync(AgencyB, citizen: "citizen-b");
            await server.OpenCaseAsync(AgencyA, citizen: "citizen-1");
            await server.OpenCaseAsync(AgencyA, citizen: "citizen-2");
        }

        using var otherAgency = server.Client(Roles.Agent, AgencyB);
        // The other agency's queue cursor points at its first case: escalated to the top tier, so that the caller's new
        // cases, not escalated, all come after it. Without it, where the cursor fell among the caller's cases depended
        // on the two agencies' calendars and the time of day, and the page after it was empty in one CI run.
        var escalated = await server.OpenCaseAsync(AgencyB, citizen: "citizen-b");
        using (var escalate = await otherAgency.PostAsync($"/cases/{escalated}/escalate", Json("""{"toLevel":3,"reason":"First in its queue"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, escalate.StatusCode);
        }

        using var otherCitizen = server.Client(Roles.Citizen, citizen: "citizen-1");
        var agencyCursor = await CursorAsync(otherAgency, "/cases?limit=1");
        var citizenCursor = await CursorAsync(otherCitizen, "/cases?limit=1");
        using var agent = server.Client(Roles.Agent);
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-2");

        var agencyPage = await PageAsync(agent, $"/cases?limit=200&cursor={Uri.EscapeDataString(agencyCursor)}");
        var citizenPage = await PageAsync(citizen, $"/cases?limit=200&cursor={Uri.EscapeDataString(citizenCursor)}");
        await server.WaitForProjectionsAsync();
        var queuePage = await PageAsync(agent, $"/queues?limit=200&cursor={Uri.EscapeDataString(await CursorAsync(otherAgency, "/queues?limit=1"))}");

        Assert.NotEmpty(agencyPage);
        Assert.All(agencyPage, row => Assert.Equal(AgencyA, row!["agency"]!.GetValue<string>()));
        Assert.All(citizenPage, row => Assert.Equal("citizen-2", row!["citizenReference"]!.GetValue<string>()));
        Assert.NotEmpty(citizenPage);
        var agencyBCases = await AgencyBCaseIdsAsync(otherAgency);
        Assert.NotEmpty(queuePage);
        Assert.All(queuePage, row => Assert.DoesNotContain(row!["caseId"]!.GetValue<string>(), agencyBCases));
    }

    [Fact]
    public async Task If_match_on_a_case_the_caller_may_not_see_is_not_found_like_a_case_that_does_not_exist()
    {
        var otherAgencys = await server.OpenCaseAsync(AgencyB);
        var otherCitizens = await server.OpenCaseAsync(AgencyA, citizen: "someone-else");
        using var agent = server.Client(Roles.Agent);
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");
        var before = await server.EventCountAsync();

        // Version 1 is the version both cases are at: a 412 for any other would tell that they exist, and at which version.
        foreach (var version in new[] { "\"1\"", "\"7\"" })
        {
            using var byAgent = await SendAsync(agent, $"/cases/{otherAgencys}/notes", """{"text":"Probe","visibility":"public"}""", ifMatch: version);
            using var byCitizen = await SendAsync(citizen, $"/cases/{otherCitizens}/notes", """{"text":"Probe","visibility":"public"}""", ifMatch: version);
            await AssertCaseNotFoundAsync(byAgent, otherAgencys);
            await AssertCaseNotFoundAsync(byCitizen, otherCitizens);
        }

        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task An_idempotency_key_used_on_a_case_is_no_way_into_it_for_another_citizen_or_agency()
    {
        var id = await server.OpenCaseAsync(AgencyA, citizen: "citizen-1");
        const string body = """{"text":"My private words","visibility":"public"}""";
        using var owner = server.Client(Roles.Citizen, citizen: "citizen-1");
        using (var first = await SendAsync(owner, $"/cases/{id}/notes", body, key: "shared-key-1"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var otherCitizen = server.Client(Roles.Citizen, subject: "bob", citizen: "citizen-2");
        using var otherAgency = server.Client(Roles.Agent, AgencyB);
        var before = await server.EventCountAsync();

        using var byCitizen = await SendAsync(otherCitizen, $"/cases/{id}/notes", body, key: "shared-key-1");
        using var byAgency = await SendAsync(otherAgency, $"/cases/{id}/notes", body, key: "shared-key-1");

        await AssertCaseNotFoundAsync(byCitizen, id);
        await AssertCaseNotFoundAsync(byAgency, id);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task Opening_with_another_citizens_idempotency_key_shows_nothing_of_their_case()
    {
        const string body = """{"service":"pothole","description":"Deep hole","location":{"address":"1 Main St"}}""";
        using var owner = server.Client(Roles.Citizen, subject: "ann", citizen: "citizen-1");
        using var first = await SendAsync(owner, "/cases", body, key: "open-key-1");
        var opened = await ReadJsonAsync(first);
        using var other = server.Client(Roles.Citizen, subject: "bob", citizen: "citizen-2");
        var before = await server.EventCountAsync();

        using var second = await SendAsync(other, "/cases", body, key: "open-key-1");

        var text = await second.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
        Assert.DoesNotContain(opened["caseId"]!.GetValue<string>(), text, StringComparison.Ordinal);
        Assert.DoesNotContain(opened["number"]!.GetValue<string>(), text, StringComparison.Ordinal);
        Assert.False(second.Headers.Contains("ETag"));
        Assert.Null(second.Headers.Location);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task Forwarded_headers_from_the_client_are_not_trusted_for_the_location_of_a_new_case()
    {
        using var agent = server.Client(Roles.Agent);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cases")
        {
            Content = Json("""{"service":"pothole","description":"A hole","location":{"address":"1 Main St"}}"""),
        };
        request.Headers.Add("X-Forwarded-Host", "evil.example");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Prefix", "/evil");
        request.Headers.Add("X-Original-URL", "/admin/services");

        using var response = await agent.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await ReadJsonAsync(response))["caseId"]!.GetValue<string>();
        Assert.Equal($"/cases/{id}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task A_browser_on_another_origin_is_not_allowed_to_read_answers()
    {
        using var anonymous = server.Client();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/cases");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
        using var agent = server.Client(Roles.Agent);
        using var read = new HttpRequestMessage(HttpMethod.Get, "/cases");
        read.Headers.Add("Origin", "https://evil.example");

        using var preflightResponse = await anonymous.SendAsync(preflight);
        using var readResponse = await agent.SendAsync(read);

        Assert.Equal(HttpStatusCode.OK, readResponse.StatusCode);
        Assert.False(preflightResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(readResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(readResponse.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    private static async Task<string> CursorAsync(HttpClient client, string path)
    {
        var page = await ReadJsonAsync(await client.GetAsync(path));
        return page["nextCursor"]!.GetValue<string>();
    }

    private static async Task<JsonArray> PageAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["items"]!.AsArray();
    }

    private static async Task<HashSet<string>> AgencyBCaseIdsAsync(HttpClient agencyB) =>
        [.. (await PageAsync(agencyB, "/cases?limit=200")).Select(row => row!["caseId"]!.GetValue<string>())];

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string body, string? ifMatch = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return client.SendAsync(request);
    }

    private static async Task AssertCaseNotFoundAsync(HttpResponseMessage response, string id)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("case.not-found", problem["code"]!.GetValue<string>());
        Assert.Equal($"There is no case '{id}'.", problem["detail"]!.GetValue<string>());
        Assert.False(response.Headers.Contains("ETag"));
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
    }
}
