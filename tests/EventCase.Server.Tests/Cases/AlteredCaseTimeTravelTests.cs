using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Cases;

/// <summary>
/// An auditor who never runs <c>audit verify</c> reads a case through its history and time travel: each answer says
/// whether the events it was built from are the events as written (decision 0026). A class of its own: its tests alter
/// events with SQL, which can stop the async projections of the fixture's database, so no other test shares it.
/// </summary>
public sealed class AlteredCaseTimeTravelTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The three readings of a case an auditor travels through: {0} is the case id, {1} a version.</summary>
    public static TheoryData<string> Readings => ["/cases/{0}/history", "/cases/{0}/as-of?version={1}", "/cases/{0}/as-of?at=2100-01-01T00:00:00Z"];

    [Fact]
    public async Task An_untouched_cases_history_and_time_travel_say_its_chain_is_intact()
    {
        var (id, notes) = await CaseWithTwoNotesAsync("Müller said: \"ça va?\" 😀");
        using var auditor = server.Client(Roles.Auditor);
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");

        foreach (var (client, path) in new[]
                 {
                     (auditor, $"/cases/{id}/history"), (auditor, $"/cases/{id}/as-of?version={notes[0]}"),
                     (auditor, $"/cases/{id}/as-of?at=2100-01-01T00:00:00Z"), (citizen, $"/cases/{id}/history"),
                 })
        {
            using var response = await client.GetAsync(path, Ct);
            var body = await ReadJsonAsync(response);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(body["chain"]!["intact"]!.GetValue<bool>(), path);
            Assert.Null(body["chain"]!["finding"]);
        }
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task A_note_rewritten_with_sql_is_shown_as_stored_and_called_an_edited_event_at_its_version(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        await TamperAsync(id, "UPDATE eventcase.events SET data = jsonb_set(data, '{text}', '\"nothing to see\"') WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);

        var body = await ReadAsAuditorAsync(reading, id, notes[1]);

        Assert.Contains("nothing to see", body.ToJsonString(), StringComparison.Ordinal);
        AssertAltered(body, notes[0], "editedEvent");
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task A_client_revalidating_its_copy_after_a_note_was_rewritten_gets_the_altered_answer_not_a_304(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        using var auditor = server.Client(Roles.Auditor);
        using var before = await auditor.GetAsync(Path(reading, id, notes[1]), Ct);
        var etag = before.Headers.ETag?.Tag;
        Assert.NotNull(etag);
        await TamperAsync(id, "UPDATE eventcase.events SET data = jsonb_set(data, '{text}', '\"nothing to see\"') WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);

        using var request = new HttpRequestMessage(HttpMethod.Get, Path(reading, id, notes[1]));
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var after = await auditor.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Null(after.Headers.ETag);
        AssertAltered(await ReadJsonAsync(after), notes[0], "editedEvent");
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task A_note_deleted_with_sql_is_called_a_deleted_event_at_its_version(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        await TamperAsync(id, "DELETE FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);

        var body = await ReadAsAuditorAsync(reading, id, notes[1]);

        AssertAltered(body, notes[0], "deletedEvent");
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task Two_events_swapped_with_sql_are_called_reordered_events_at_the_lower_version(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        await TamperAsync(id, "UPDATE eventcase.events SET stream_version = -1 WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);
        await TamperAsync(id, "UPDATE eventcase.events SET stream_version = $3 WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $4", notes[0], notes[1]);
        await TamperAsync(id, "UPDATE eventcase.events SET stream_version = $3 WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = -1", notes[1]);

        var body = await ReadAsAuditorAsync(reading, id, notes[1]);

        AssertAltered(body, notes[0], "reorderedEvents");
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task An_event_altered_until_it_no_longer_reads_is_a_case_altered_problem_with_the_finding_not_an_internal_error(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        // A member the note does not have: the event no longer deserializes.
        await TamperAsync(id, "UPDATE eventcase.events SET data = data || '{\"unexpected\": 1}' WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);
        var unexpected = server.UnexpectedErrorCount;
        using var auditor = server.Client(Roles.Auditor);
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");

        using var response = await auditor.GetAsync(Path(reading, id, notes[1]), Ct);
        var problem = await ReadJsonAsync(response);
        using var citizens = await citizen.GetAsync(Path(reading, id, notes[1]), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("case.altered", problem["code"]!.GetValue<string>());
        Assert.Equal(notes[0], problem["finding"]!["version"]!.GetValue<long>());
        Assert.Equal("editedEvent", problem["finding"]!["kind"]!.GetValue<string>());
        Assert.Equal(unexpected, server.UnexpectedErrorCount);
        // A citizen's case is told by its opening event; one that does not read cannot be shown to be theirs.
        Assert.Equal(HttpStatusCode.NotFound, citizens.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task Metadata_altered_until_it_no_longer_reads_is_a_case_altered_problem_not_an_internal_error(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        // Metadata without its actor: the event's data still reads, but who wrote the note (history, the note's author in
        // the fold) cannot be read.
        await TamperAsync(id, "UPDATE eventcase.events SET metadata = '{}' WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);
        var unexpected = server.UnexpectedErrorCount;
        using var auditor = server.Client(Roles.Auditor);

        using var response = await auditor.GetAsync(Path(reading, id, notes[1]), Ct);
        var problem = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("case.altered", problem["code"]!.GetValue<string>());
        Assert.Equal(notes[0], problem["finding"]!["version"]!.GetValue<long>());
        Assert.Equal(unexpected, server.UnexpectedErrorCount);
    }

    [Theory]
    [MemberData(nameof(Readings))]
    public async Task A_case_whose_opening_was_deleted_is_altered_to_the_agency_and_not_found_to_the_citizen(string reading)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        await TamperAsync(id, "DELETE FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 1");
        using var auditor = server.Client(Roles.Auditor);
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");

        using var response = await auditor.GetAsync(Path(reading, id, notes[1]), Ct);
        var problem = await ReadJsonAsync(response);
        using var citizens = await citizen.GetAsync(Path(reading, id, notes[1]), Ct);

        Assert.Equal("case.altered", problem["code"]!.GetValue<string>());
        Assert.Equal(1, problem["finding"]!["version"]!.GetValue<long>());
        Assert.Equal("deletedEvent", problem["finding"]!["kind"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, citizens.StatusCode);
    }

    [Theory]
    [InlineData("data", "data || '{\"unexpected\": 1}'", HttpStatusCode.NotFound)]
    // The citizen's view never reads who wrote an internal note: it folds as any readable alteration does.
    [InlineData("metadata", "'{}'", HttpStatusCode.OK)]
    public async Task The_case_now_whose_event_was_altered_until_it_no_longer_reads_is_a_case_altered_problem_by_id_and_by_number(
        string column, string value, HttpStatusCode toCitizen)
    {
        var (id, notes) = await CaseWithTwoNotesAsync();
        using var auditor = server.Client(Roles.Auditor);
        var number = (await ReadJsonAsync(await auditor.GetAsync($"/cases/{id}", Ct)))["number"]!.GetValue<string>();
        await TamperAsync(id, $"UPDATE eventcase.events SET {column} = {value} WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = $3", notes[0]);
        var unexpected = server.UnexpectedErrorCount;
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-1");

        foreach (var path in new[] { $"/cases/{id}", $"/cases/by-number/{number}" })
        {
            using var response = await auditor.GetAsync(path, Ct);
            var problem = await ReadJsonAsync(response);
            using var citizens = await citizen.GetAsync(path, Ct);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("case.altered", problem["code"]!.GetValue<string>());
            Assert.Equal((notes[0], "editedEvent"), (problem["finding"]!["version"]!.GetValue<long>(), problem["finding"]!["kind"]!.GetValue<string>()));
            Assert.Equal(toCitizen, citizens.StatusCode);
        }

        Assert.Equal(unexpected, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task A_case_whose_events_were_all_deleted_but_its_stream_row_is_altered_to_the_agency_not_missing()
    {
        var (id, _) = await CaseWithTwoNotesAsync();
        await using (var command = server.DataSource.CreateCommand("DELETE FROM eventcase.events WHERE tenant_id = $1 AND stream_id = $2"))
        {
            command.Parameters.AddWithValue(AgencyA);
            command.Parameters.AddWithValue(id);
            Assert.Equal(4, await command.ExecuteNonQueryAsync(Ct));
        }

        using var auditor = server.Client(Roles.Auditor);
        using var response = await auditor.GetAsync($"/cases/{id}/history", Ct);
        var problem = await ReadJsonAsync(response);

        Assert.Equal("case.altered", problem["code"]!.GetValue<string>());
        Assert.Equal((1L, "deletedEvent"), (problem["finding"]!["version"]!.GetValue<long>(), problem["finding"]!["kind"]!.GetValue<string>()));
    }

    private static void AssertAltered(JsonNode body, long version, string kind)
    {
        var chain = body["chain"]!;
        Assert.False(chain["intact"]!.GetValue<bool>());
        Assert.Equal(version, chain["finding"]!["version"]!.GetValue<long>());
        Assert.Equal(kind, chain["finding"]!["kind"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(chain["finding"]!["detail"]!.GetValue<string>()));
    }

    private static string Path(string reading, string id, long version) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, reading, id, version);

    private async Task<JsonNode> ReadAsAuditorAsync(string reading, string id, long version)
    {
        using var auditor = server.Client(Roles.Auditor);
        using var response = await auditor.GetAsync(Path(reading, id, version), Ct);
        var body = await ReadJsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    /// <summary>A case with an internal note and a public one after it; returns the notes' versions.</summary>
    private async Task<(string Id, long[] Notes)> CaseWithTwoNotesAsync(string firstNote = "Called the citizen")
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        var first = System.Text.Json.JsonSerializer.Serialize(new { text = firstNote, visibility = "internal" });
        (await agent.PostAsync($"/cases/{id}/notes", Json(first), Ct)).EnsureSuccessStatusCode();
        (await agent.PostAsync($"/cases/{id}/notes", Json("""{"text":"Second note","visibility":"public"}"""), Ct)).EnsureSuccessStatusCode();
        var history = await ReadJsonAsync(await agent.GetAsync($"/cases/{id}/history", Ct));
        var notes = history["events"]!.AsArray()
            .Where(e => e!["type"]!.GetValue<string>() == "case.note-added.v1")
            .Select(e => e!["version"]!.GetValue<long>())
            .ToArray();
        Assert.Equal(2, notes.Length);
        return (id, notes);
    }

    /// <summary>Changes the case's rows as an insider with SQL access would ($1 = the agency, $2 = the case, then <paramref name="more"/>).</summary>
    private async Task TamperAsync(string caseId, string sql, params long[] more)
    {
        await using var command = server.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(AgencyA);
        command.Parameters.AddWithValue(caseId);
        foreach (var value in more)
        {
            command.Parameters.AddWithValue(value);
        }

        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }
}
