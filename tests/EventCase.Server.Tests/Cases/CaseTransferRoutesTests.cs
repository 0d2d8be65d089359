using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>
/// <c>POST /cases/{id}/transfer</c> hands the request to the receiving agency's own case, opened in the same append.
/// The fixture's second agency (<see cref="ServerFixture.AgencyB"/>) offers the pothole service; this class routes it to
/// its roads team.
/// </summary>
public sealed class CaseTransferRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await server.RouteAgencyBPotholesToItsRoadsTeamAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_transfer_to_an_agency_without_a_catalog_is_refused_naming_to_agency_and_writes_nothing()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        var before = await server.EventCountAsync();

        using var response = await supervisor.PostAsync($"/cases/{id}/transfer", Json("""{"toAgency":"state-dot","reason":"State road"}"""));

        var problem = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("state-dot", problem["errors"]!["toAgency"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
        Assert.NotEqual("transferredOut", (await ReadJsonAsync(await supervisor.GetAsync($"/cases/{id}")))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_transfer_opens_the_receiving_case_in_its_agencys_queue_and_each_agency_sees_only_its_own_case_naming_the_other()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        using var otherAgent = server.Client(Roles.Agent, AgencyB);

        var answer = await CaseRoutesTests.PostOkAsync(supervisor, $"/cases/{id}/transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""");

        var receiving = answer["receivingCase"]!;
        var newId = receiving["caseId"]!.GetValue<string>();
        var newNumber = receiving["number"]!.GetValue<string>();
        Assert.Equal(AgencyB, receiving["agency"]!.GetValue<string>());
        Assert.StartsWith("OTHERTOW-", newNumber, StringComparison.Ordinal);
        Assert.Equal(newId, answer["events"]![0]!["data"]!["toCaseId"]!.GetValue<string>());

        var old = await ReadJsonAsync(await supervisor.GetAsync($"/cases/{id}"));
        Assert.Equal("transferredOut", old["status"]!.GetValue<string>());
        Assert.Equal(newNumber, old["transferredToCase"]!["number"]!.GetValue<string>());

        var taken = await ReadJsonAsync(await otherAgent.GetAsync($"/cases/{newId}"));
        Assert.Equal((AgencyB, "assigned", "b-roads", "A hole"), (taken["agency"]!.GetValue<string>(), taken["status"]!.GetValue<string>(),
            taken["assignment"]!["team"]!.GetValue<string>(), taken["description"]!.GetValue<string>()));
        Assert.Equal((AgencyA, id, old["number"]!.GetValue<string>()), (taken["transferredFrom"]!["agency"]!.GetValue<string>(),
            taken["transferredFrom"]!["caseId"]!.GetValue<string>(), taken["transferredFrom"]!["number"]!.GetValue<string>()));
        using var byNumber = await otherAgent.GetAsync($"/cases/by-number/{newNumber}");
        Assert.Equal(HttpStatusCode.OK, byNumber.StatusCode);
        var queue = (await ReadJsonAsync(await otherAgent.GetAsync("/queues?team=b-roads")))["items"]!.AsArray();
        Assert.Contains(queue, item => item!["caseId"]!.GetValue<string>() == newId);

        // The case lists (the case summary read model) name the case on the other side too.
        var oldRow = (await ReadJsonAsync(await supervisor.GetAsync("/cases?status=transferredOut")))["items"]!.AsArray().Single(r => r!["caseId"]!.GetValue<string>() == id)!;
        Assert.Equal(newNumber, oldRow["transferredToNumber"]!.GetValue<string>());
        var newRow = (await ReadJsonAsync(await otherAgent.GetAsync("/cases"))).AsObject()["items"]!.AsArray().Single(r => r!["caseId"]!.GetValue<string>() == newId)!;
        Assert.Equal((AgencyA, old["number"]!.GetValue<string>()), (newRow["transferredFromAgency"]!.GetValue<string>(), newRow["transferredFromNumber"]!.GetValue<string>()));

        // Neither agency reads the other's case.
        using var oldAgencyReadsNew = await supervisor.GetAsync($"/cases/{newId}");
        using var newAgencyReadsOld = await otherAgent.GetAsync($"/cases/{id}");
        Assert.Equal(HttpStatusCode.NotFound, oldAgencyReadsNew.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, newAgencyReadsOld.StatusCode);
    }

    [Fact]
    public async Task The_citizen_is_the_receiving_cases_citizen_and_open311_shows_the_old_request_closed_as_transferred()
    {
        var id = await server.OpenCaseAsync(citizen: "citizen-42");
        using var supervisor = server.Client(Roles.Supervisor);
        var answer = await CaseRoutesTests.PostOkAsync(supervisor, $"/cases/{id}/transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""");
        var newId = answer["receivingCase"]!["caseId"]!.GetValue<string>();
        var newNumber = answer["receivingCase"]!["number"]!.GetValue<string>();

        using var citizen = server.Client(Roles.Citizen, AgencyB, citizen: "citizen-42");
        using var own = await citizen.GetAsync($"/cases/{newId}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        using var anonymous = server.Client();
        var request = (await ReadJsonAsync(await anonymous.GetAsync($"/open311/v2/requests/{answer["number"]!.GetValue<string>()}.json")))[0]!;
        Assert.Equal("closed", request["status"]!.GetValue<string>());
        Assert.Equal($"Transferred to {AgencyB} as request {newNumber}.", request["status_notes"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_cases_audit_trail_names_the_case_on_the_other_side_of_the_transfer()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        using var otherSupervisor = server.Client(Roles.Supervisor, AgencyB);
        var answer = await CaseRoutesTests.PostOkAsync(supervisor, $"/cases/{id}/transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""");
        var (number, newId, newNumber) = (answer["number"]!.GetValue<string>(), answer["receivingCase"]!["caseId"]!.GetValue<string>(), answer["receivingCase"]!["number"]!.GetValue<string>());

        await server.WaitForProjectionsAsync();

        var oldTrail = (await ReadJsonAsync(await supervisor.GetAsync($"/audit/cases/{id}"))).AsArray();
        Assert.Equal($"Transferred from {AgencyA} to {AgencyB} as case {newNumber}", oldTrail[^1]!["summary"]!.GetValue<string>());
        var newTrail = (await ReadJsonAsync(await otherSupervisor.GetAsync($"/audit/cases/{newId}"))).AsArray();
        Assert.EndsWith($", transferred from {AgencyA} case {number}", newTrail[0]!["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("alice", newTrail[0]!["actorId"]!.GetValue<string>()); // who handed it over
    }

    [Fact]
    public async Task The_receiving_service_may_be_named_and_must_be_in_the_receiving_catalog()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        var before = await server.EventCountAsync();

        using var response = await supervisor.PostAsync($"/cases/{id}/transfer", Json($$"""{"toAgency":"{{AgencyB}}","reason":"Their road","service":"bridge"}"""));

        var problem = await ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("bridge", problem["errors"]!["service"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());

        var answer = await CaseRoutesTests.PostOkAsync(supervisor, $"/cases/{id}/transfer", $$"""{"toAgency":"{{AgencyB}}","reason":"Their road","service":"pothole"}""");
        Assert.NotNull(answer["receivingCase"]);
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_opens_no_second_receiving_case_and_gives_the_first_answer()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        var body = $$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""";

        var first = await PostWithKeyAsync(supervisor, $"/cases/{id}/transfer", body, "transfer-1");
        var count = await server.EventCountAsync();
        using var retry = await SendWithKeyAsync(supervisor, $"/cases/{id}/transfer", body, "transfer-1");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        var again = await ReadJsonAsync(retry);
        Assert.Equal(first["receivingCase"]!.ToJsonString(), again["receivingCase"]!.ToJsonString());
        Assert.Equal(count, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_transfer_with_a_stale_if_match_is_412_and_opens_nothing()
    {
        var id = await server.OpenCaseAsync();
        using var supervisor = server.Client(Roles.Supervisor);
        await CaseRoutesTests.PostOkAsync(supervisor, $"/cases/{id}/priority", """{"to":"high"}""");
        var before = await server.EventCountAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cases/{id}/transfer") { Content = Json($$"""{"toAgency":"{{AgencyB}}","reason":"Their road"}""") };
        request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");

        using var response = await supervisor.SendAsync(request);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal(before, await server.EventCountAsync());
    }

    private static async Task<JsonNode> PostWithKeyAsync(HttpClient client, string path, string body, string key)
    {
        using var response = await SendWithKeyAsync(client, path, body, key);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<HttpResponseMessage> SendWithKeyAsync(HttpClient client, string path, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }
}
