using System.Net;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Auth;

/// <summary>
/// Answers that hold what only their caller may see must not outlive the request in a cache: a browser on a shared
/// computer, or a proxy in front of an Open311 endpoint whose api_key is in the URL.
/// </summary>
public sealed class CachedAnswersTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task An_answer_to_a_request_with_a_token_or_an_api_key_is_not_to_be_stored_by_any_cache()
    {
        var id = await server.OpenCaseAsync(AgencyA, citizen: "citizen-1");
        var otherAgencys = await server.OpenCaseAsync(AgencyB);
        using var agent = server.Client(Roles.Agent);
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");
        using var auditor = server.Client(Roles.Auditor);
        using var anonymous = server.Client();
        var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();

        string[] asked = [$"agent /cases/{id}", $"citizen /cases/{id}/history", "citizen /cases", $"auditor /audit/cases/{id}/export",
            $"agent /cases/{otherAgencys}", $"citizen /sla/cases/{id}", $"anonymous /open311/v2/requests/{number}.json?api_key=agent-key-a"];
        foreach (var line in asked)
        {
            var (who, path) = (line[..line.IndexOf(' ', StringComparison.Ordinal)], line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
            var client = who switch { "agent" => agent, "citizen" => citizen, "auditor" => auditor, _ => anonymous };

            using var response = await client.GetAsync(path);

            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{line}: {(int)response.StatusCode}, Cache-Control: {response.Headers.CacheControl}");
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }
    }

    [Fact]
    public async Task A_public_open311_answer_stays_cacheable_and_says_its_type_is_not_to_be_sniffed()
    {
        using var anonymous = server.Client();

        using var services = await anonymous.GetAsync("/open311/v2/services.json");
        using var unauthenticated = await anonymous.GetAsync("/cases");

        Assert.Equal(HttpStatusCode.OK, services.StatusCode);
        Assert.Null(services.Headers.CacheControl);
        Assert.Equal("nosniff", Assert.Single(services.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.Equal("nosniff", Assert.Single(unauthenticated.Headers.GetValues("X-Content-Type-Options")));
    }
}
