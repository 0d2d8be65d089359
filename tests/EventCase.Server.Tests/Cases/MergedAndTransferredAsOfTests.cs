using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using NodaTime;
using NodaTime.Text;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>
/// Time travel across a merge or a transfer: both cases change in one append at one instant (decisions 0020, 0021), so
/// as of one tick before it neither case shows it and as of that very instant both do.
/// </summary>
public sealed class MergedAndTransferredAsOfTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await server.RouteAgencyBPotholesToItsRoadsTeamAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task As_of_a_merge_the_duplicate_and_the_original_show_it_from_its_instant_and_not_one_tick_before()
    {
        var original = await server.OpenCaseAsync();
        var duplicate = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await CaseRoutesTests.PostOkAsync(agent, $"/cases/{duplicate}/mark-duplicate", $$"""{"originalCaseId":"{{original}}"}""");
        await CaseRoutesTests.PostOkAsync(agent, $"/cases/{original}/notes", """{"text":"Later","visibility":"internal"}""");
        var merged = await LastAtAsync(duplicate);
        Assert.Equal(merged, await AtOfTypeAsync(original, "case.duplicate-merged.v1"));

        var duplicateBefore = await AsOfAsync(duplicate, merged - Duration.Epsilon);
        var duplicateAt = await AsOfAsync(duplicate, merged);
        var originalBefore = await AsOfAsync(original, merged - Duration.Epsilon);
        var originalAt = await AsOfAsync(original, merged);

        Assert.NotEqual("duplicate", duplicateBefore["case"]!["status"]!.GetValue<string>());
        Assert.Equal("duplicate", duplicateAt["case"]!["status"]!.GetValue<string>());
        Assert.Empty(originalBefore["case"]!["duplicates"]!.AsArray());
        Assert.Single(originalAt["case"]!["duplicates"]!.AsArray());
        Assert.Empty(originalAt["case"]!["notes"]!.AsArray());
        Assert.All([duplicateBefore, duplicateAt, originalBefore, originalAt], a => Assert.True(a["chain"]!["intact"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task As_of_a_transfer_the_receiving_case_is_not_yet_opened_one_tick_before_and_the_old_case_not_yet_transferred()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        var answer = await CaseRoutesTests.PostOkAsync(supervisor, $"/cases/{id}/transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""");
        var receiving = answer["receivingCase"]!["caseId"]!.GetValue<string>();
        var transferred = await LastAtAsync(id);
        using var other = server.Client(Roles.Auditor, AgencyB);

        var oldBefore = await AsOfAsync(id, transferred - Duration.Epsilon);
        var oldAt = await AsOfAsync(id, transferred);
        using var newBefore = await other.GetAsync($"/cases/{receiving}/as-of?at={Iso(transferred - Duration.Epsilon)}", Ct);
        var newAt = await ReadJsonAsync(await other.GetAsync($"/cases/{receiving}/as-of?at={Iso(transferred)}", Ct));

        Assert.NotEqual("transferredOut", oldBefore["case"]!["status"]!.GetValue<string>());
        Assert.Equal("transferredOut", oldAt["case"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, newBefore.StatusCode);
        Assert.Contains("case.not-yet-opened", await newBefore.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(AgencyB, newAt["case"]!["agency"]!.GetValue<string>());
        Assert.True(newAt["chain"]!["intact"]!.GetValue<bool>());
        Assert.True(oldAt["chain"]!["intact"]!.GetValue<bool>());
    }

    private static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    private async Task<JsonNode> AsOfAsync(string id, Instant at)
    {
        using var auditor = server.Client(Roles.Auditor);
        using var response = await auditor.GetAsync($"/cases/{id}/as-of?at={Iso(at)}", Ct);
        var body = await ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(at, InstantPattern.ExtendedIso.Parse(body["asOfInstant"]!.GetValue<string>()).Value);
        return body;
    }

    private async Task<Instant> LastAtAsync(string id) =>
        At((await HistoryAsync(id))[^1]!);

    private async Task<Instant> AtOfTypeAsync(string id, string type) =>
        At((await HistoryAsync(id)).Single(e => e!["type"]!.GetValue<string>() == type)!);

    private async Task<JsonArray> HistoryAsync(string id)
    {
        using var auditor = server.Client(Roles.Auditor);
        return (await ReadJsonAsync(await auditor.GetAsync($"/cases/{id}/history", Ct)))["events"]!.AsArray();
    }

    private static Instant At(JsonNode entry) => InstantPattern.ExtendedIso.Parse(entry["data"]!["at"]!.GetValue<string>()).Value;
}
