using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EventCase.Server.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Auth;

/// <summary>
/// Tokens that are validly signed but do not make one caller: the claims every request is authorized and recorded by
/// (<c>sub</c>, <c>role</c>, <c>agency</c>, <c>citizen</c>) must each say one usable thing, else the token is refused
/// (<c>403 auth.forbidden</c>) before anything is read or written.
/// </summary>
public sealed class TokenClaimsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>The name of a claim the test leaves out of the token.</summary>
    private const string Missing = "(missing)";

    [Theory]
    [InlineData(Missing)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("line\nbreak")]
    [InlineData("tab\tbed")]
    [InlineData("x201")]
    public async Task A_token_whose_subject_the_audit_trail_could_not_name_is_refused_and_writes_nothing(string subject)
    {
        var id = await server.OpenCaseAsync();
        var claims = new Dictionary<string, object> { ["role"] = "agent", ["agency"] = AgencyA };
        if (subject != Missing)
        {
            claims["sub"] = subject == "x201" ? new string('x', 201) : subject;
        }

        var before = await server.EventCountAsync();
        var errors = server.UnexpectedErrorCount;

        using var response = await SendAsync(Sign(claims), HttpMethod.Post, $"/cases/{id}/notes", """{"text":"Who wrote this?"}""");

        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(before, await server.EventCountAsync());
        Assert.Equal(errors, server.UnexpectedErrorCount);
    }

    /// <summary>
    /// Tokens whose claims name two of something, and what each would have done: the policies admit a request when
    /// any role claim matches, while the caller was built from the first role, agency, subject and citizen reference.
    /// </summary>
    public static TheoryData<string, string, string, string> RepeatedClaims => new()
    {
        // A citizen who is also "agent" assigned their own case, recorded as done by a citizen.
        { "role", """["citizen","agent"]""", "POST", "/cases/{id}/assign" },
        // "Auditors cannot write": an auditor who is also "admin" changed the priority, recorded as done by an auditor.
        { "role", """["auditor","admin"]""", "POST", "/cases/{id}/priority" },
        // Two agencies: the first was used, silently.
        { "agency", $$"""["{{AgencyA}}","{{AgencyB}}"]""", "GET", "/cases/{id}" },
        // Two citizen references: the first was the citizen.
        { "citizen", """["citizen-1","citizen-2"]""", "GET", "/cases/{id}" },
    };

    [Theory]
    [MemberData(nameof(RepeatedClaims))]
    public async Task A_token_naming_two_roles_agencies_or_citizens_is_refused_and_writes_nothing(string claim, string values, string method, string path)
    {
        var id = await server.OpenCaseAsync(AgencyA, citizen: "citizen-1");
        var claims = new Dictionary<string, object> { ["sub"] = "mallory", ["role"] = "citizen", ["agency"] = AgencyA, ["citizen"] = "citizen-1" };
        claims[claim] = System.Text.Json.JsonSerializer.Deserialize<List<object>>(values)!.Select(v => (object)v.ToString()!).ToList();
        var body = path.EndsWith("/assign", StringComparison.Ordinal) ? """{"team":"parks"}""" : method == "POST" ? """{"to":"urgent"}""" : null;
        var before = await server.EventCountAsync();

        using var response = await SendAsync(Sign(claims), new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal), body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{(int)response.StatusCode}: {text}");
        Assert.DoesNotContain("A hole", text, StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    /// <summary>
    /// Roles and agencies that are almost a known one: another letter case, a space, a look-alike letter, another JSON
    /// type. None is read as the role or agency it resembles (as JSON members, written as sent).
    /// </summary>
    public static TheoryData<string, string> AlmostKnownClaims => new()
    {
        { "role", "\"Admin\"" },
        { "role", "\"admin \"" },
        { "role", "\" admin\"" },
        { "role", "\"adm\u0131n\"" },
        { "role", "1" },
        { "role", "{\"name\":\"admin\"}" },
        { "role", "[]" },
        { "role", "null" },
        { "agency", $"\"{AgencyA} \"" },
        { "agency", $"\" {AgencyA}\"" },
        { "agency", "\"d\u0435mo-city\"" },
        { "agency", "\"demo\u00A0city\"" },
        { "agency", "\"demo-city\\u0000\"" },
        { "agency", "\"\"" },
        { "agency", "[]" },
        { "agency", "{\"id\":\"demo-city\"}" },
    };

    [Theory]
    [MemberData(nameof(AlmostKnownClaims))]
    public async Task A_role_or_agency_that_only_resembles_a_known_one_is_refused_and_writes_nothing(string claim, string json)
    {
        var id = await server.OpenCaseAsync();
        var claims = claim == "role" ? TokenForgeryTests.Claims(role: json) : TokenForgeryTests.Claims(agency: json);
        var before = await server.EventCountAsync();

        // Notes are open to every role but auditors: only the claims can make this a 403.
        using var response = await SendAsync(TokenForgeryTests.Token(TokenForgeryTests.Header(), claims), HttpMethod.Post, $"/cases/{id}/notes", """{"text":"Who wrote this?","visibility":"public"}""");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{claim} {json}: {(int)response.StatusCode} {text}");
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task An_agency_in_another_letter_case_is_another_agency_that_sees_nothing_of_the_first()
    {
        var id = await server.OpenCaseAsync(AgencyA);
        var number = (await ReadJsonAsync(await server.Client(EventCase.Server.Auth.Roles.Agent).GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
        var token = TokenForgeryTests.Token(TokenForgeryTests.Header(), TokenForgeryTests.Claims(agency: $"\"{AgencyA.ToUpperInvariant()}\""));
        var before = await server.EventCountAsync();

        using var view = await SendAsync(token, HttpMethod.Get, $"/cases/{id}");
        using var byNumber = await SendAsync(token, HttpMethod.Get, $"/cases/by-number/{number}");
        using var note = await SendAsync(token, HttpMethod.Post, $"/cases/{id}/notes", """{"text":"Shouting"}""");
        using var list = await SendAsync(token, HttpMethod.Get, "/cases?limit=200");

        Assert.Equal(HttpStatusCode.NotFound, view.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byNumber.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, note.StatusCode);
        Assert.Empty((await ReadJsonAsync(list))["items"]!.AsArray());
        Assert.Equal(before, await server.EventCountAsync());
    }

    /// <summary>
    /// RFC 7519 lets a parser either refuse a claims set naming a member twice or read the last one; the token handler
    /// reads the last. What matters is that the token is one caller: authorized and recorded as the same role, never let
    /// in as one and written down as the other (as a list of two roles was, before such lists were refused).
    /// </summary>
    [Fact]
    public async Task A_claim_written_twice_as_a_json_member_is_its_last_value_both_for_the_policy_and_for_the_record()
    {
        var id = await server.OpenCaseAsync(AgencyA, citizen: "citizen-1");
        var claims = TokenForgeryTests.Claims(role: "\"citizen\"", extra: ",\"citizen\":\"citizen-1\",\"role\":\"admin\"");

        using var response = await SendAsync(TokenForgeryTests.Token(TokenForgeryTests.Header(), claims), HttpMethod.Post, $"/cases/{id}/priority", """{"to":"urgent"}""");

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var auditor = server.Client(EventCase.Server.Auth.Roles.Auditor);
        var history = await ReadJsonAsync(await auditor.GetAsync($"/cases/{id}/history"));
        Assert.Equal("admin", history["events"]!.AsArray()[^1]!["metadata"]!["actorRole"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_role_given_as_a_list_of_one_is_that_role()
    {
        var id = await server.OpenCaseAsync();

        using var response = await SendAsync(Sign(new() { ["sub"] = "ann", ["role"] = new List<object> { "agent" }, ["agency"] = AgencyA }), HttpMethod.Post, $"/cases/{id}/priority", """{"to":"urgent"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_subject_of_200_characters_acts_and_is_the_actor_the_audit_trail_names()
    {
        var id = await server.OpenCaseAsync();
        var subject = new string('s', 200);

        using var response = await SendAsync(Sign(new() { ["sub"] = subject, ["role"] = "agent", ["agency"] = AgencyA }), HttpMethod.Post, $"/cases/{id}/notes", """{"text":"Long name"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var auditor = server.Client(EventCase.Server.Auth.Roles.Auditor);
        var history = await ReadJsonAsync(await auditor.GetAsync($"/cases/{id}/history"));
        Assert.Equal(subject, history["events"]!.AsArray()[^1]!["metadata"]!["actorId"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_dev_token_endpoint_refuses_a_subject_the_api_would_refuse()
    {
        using var anonymous = server.Client();

        using var response = await anonymous.PostAsync("/dev/token", Json("""{"role":"agent","subject":"two\nlines"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["subject"]);
    }

    private static string Sign(Dictionary<string, object> claims)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            Issuer = "eventcase",
            Audience = "eventcase",
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    private async Task<HttpResponseMessage> SendAsync(string token, HttpMethod method, string path, string? body = null)
    {
        using var client = server.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        return await client.SendAsync(request);
    }
}
