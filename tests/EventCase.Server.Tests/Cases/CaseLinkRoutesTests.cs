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
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/cases/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }
}
