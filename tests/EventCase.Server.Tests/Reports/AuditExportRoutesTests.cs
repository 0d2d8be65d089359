using System.Net;
using System.Text;
using EventCase.EventStore.Auditing;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Reports;

/// <summary>
/// <c>GET /audit/cases/{id}/export</c> and <c>GET /audit/export</c>: what an auditor downloads is the file
/// <c>eventcase audit export</c> writes, and it verifies offline with <see cref="AuditExportReader"/>.
/// </summary>
public sealed class AuditExportRoutesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, AuditExportFormat, string> Formats => new()
    {
        { "jsonl", AuditExportFormat.JsonLines, "application/x-ndjson" },
        { "csv", AuditExportFormat.Csv, "text/csv" },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task An_auditor_downloads_a_cases_whole_history_with_its_hashes_and_it_verifies_offline(string format, AuditExportFormat expected, string mediaType)
    {
        var id = await server.OpenCaseAsync();
        await AddNoteAsync(id);
        using var auditor = server.Client(Roles.Auditor);
        var verification = await ReadJsonAsync(await auditor.GetAsync($"/audit/cases/{id}/verification", Ct));

        using var response = await auditor.GetAsync($"/audit/cases/{id}/export?format={format}", HttpCompletionOption.ResponseHeadersRead, Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal($"audit-{AgencyA}-{id}.{format}", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var events = await ReadAsync(bytes, expected);
        var version = verification["version"]!.GetValue<long>();
        Assert.Equal(Enumerable.Range(1, (int)version).Select(v => (long)v), events.Select(e => e.Event.StreamVersion));
        Assert.All(events, e => Assert.Equal((AgencyA, id), (e.Event.Tenant, e.Event.StreamId)));
        Assert.Equal(verification["headHash"]!.GetValue<string>(), events[^1].Hash.ToString());
        var report = await AuditExportReader.VerifyOfflineAsync(new MemoryStream(bytes), expected, Ct);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Equal((1L, version), (report.StreamsChecked, report.EventsChecked));
    }

    [Theory]
    [InlineData("jsonl", AuditExportFormat.JsonLines)]
    [InlineData("csv", AuditExportFormat.Csv)]
    public async Task A_downloaded_export_with_one_line_edited_is_reported_by_the_offline_verifier_at_that_version(string format, AuditExportFormat expected)
    {
        var id = await server.OpenCaseAsync();
        await AddNoteAsync(id);
        using var auditor = server.Client(Roles.Auditor);
        var text = await auditor.GetStringAsync($"/audit/cases/{id}/export?format={format}", Ct);
        Assert.True((await AuditExportReader.VerifyOfflineAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), expected, Ct)).IsIntact);
        var note = (await ReadAsync(Encoding.UTF8.GetBytes(text), expected)).Single(e => e.Event.EventType.Contains("note", StringComparison.Ordinal)).Event.StreamVersion;

        // Whoever holds the file rewrites what the note said.
        var edited = text.Replace("Called the citizen", "Never called", StringComparison.Ordinal);
        var report = await AuditExportReader.VerifyOfflineAsync(new MemoryStream(Encoding.UTF8.GetBytes(edited)), expected, Ct);

        Assert.NotEqual(text, edited);
        Assert.False(report.IsIntact);
        var finding = Assert.Single(report.Findings);
        Assert.Equal((id, note, TamperKind.EditedEvent), (finding.Stream.Id, finding.Version, finding.Kind));
    }

    [Theory]
    [InlineData("no-such-case")]
    [InlineData("$catalog")]
    [InlineData("a%20b")]
    public async Task Exporting_a_case_that_is_not_there_is_the_same_not_found_problem_as_its_trail(string id)
    {
        using var auditor = server.Client(Roles.Auditor);

        using var export = await auditor.GetAsync($"/audit/cases/{id}/export", Ct);
        using var trail = await auditor.GetAsync($"/audit/cases/{id}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, export.StatusCode);
        var problem = await ReadJsonAsync(export);
        var trailProblem = await ReadJsonAsync(trail);
        Assert.Equal("case.not-found", problem["code"]!.GetValue<string>());
        Assert.Equal(trailProblem["type"]!.GetValue<string>(), problem["type"]!.GetValue<string>());
        Assert.Equal(trailProblem["detail"]!.GetValue<string>(), problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_agencys_case_is_not_found_and_nothing_of_it_is_sent()
    {
        var inB = await server.OpenCaseAsync(AgencyB);
        using var auditorA = server.Client(Roles.Auditor, AgencyA);

        using var response = await auditorA.GetAsync($"/audit/cases/{inB}/export?format=csv", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("A hole", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_period_export_holds_every_event_of_the_agency_recorded_in_it_and_none_of_another_agencys(string format, AuditExportFormat expected, string mediaType)
    {
        var from = DateTimeOffset.UtcNow.AddMinutes(-5);
        var inA = await server.OpenCaseAsync(AgencyA);
        await AddNoteAsync(inA);
        var inB = await server.OpenCaseAsync(AgencyB);
        var to = DateTimeOffset.UtcNow.AddMinutes(5);
        using var auditor = server.Client(Roles.Auditor, AgencyA);
        var version = (await ReadJsonAsync(await auditor.GetAsync($"/audit/cases/{inA}/verification", Ct)))["version"]!.GetValue<long>();

        using var response = await auditor.GetAsync($"/audit/export?from={Instant(from)}&to={Instant(to)}&format={format}", Ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Matches($"^audit-{AgencyA}-[0-9]{{8}}T[0-9]{{6}}(\\.[0-9]+)?Z-[0-9]{{8}}T[0-9]{{6}}(\\.[0-9]+)?Z\\.{format}$",
            response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? "");
        var events = await ReadAsync(bytes, expected);
        Assert.All(events, e => Assert.Equal(AgencyA, e.Event.Tenant));
        Assert.Equal(Enumerable.Range(1, (int)version).Select(v => (long)v), events.Where(e => e.Event.StreamId == inA).Select(e => e.Event.StreamVersion));
        Assert.DoesNotContain(events, e => e.Event.StreamId == inB);
        var report = await AuditExportReader.VerifyOfflineAsync(new MemoryStream(bytes), expected, Ct);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
    }

    [Fact]
    public async Task A_period_that_starts_within_a_case_exports_it_from_there_chained_to_the_version_before_and_it_verifies_offline()
    {
        var id = await server.OpenCaseAsync();
        await Task.Delay(50, Ct); // the note is recorded a measurable while after the opening
        await AddNoteAsync(id);
        using var auditor = server.Client(Roles.Auditor);
        var whole = await ReadAsync(await auditor.GetByteArrayAsync($"/audit/cases/{id}/export", Ct), AuditExportFormat.JsonLines);
        // The events one command wrote share their recorded-at: the note is the last, and the only one at its instant.
        var noteRecordedAt = whole[^1].Event.RecordedAt;

        var bytes = await auditor.GetByteArrayAsync(
            $"/audit/export?from={NodaTime.Text.InstantPattern.ExtendedIso.Format(noteRecordedAt)}&to={Instant(DateTimeOffset.UtcNow.AddMinutes(5))}", Ct);

        var part = (await ReadAsync(bytes, AuditExportFormat.JsonLines)).Where(e => e.Event.StreamId == id).ToList();
        var only = Assert.Single(part);
        Assert.Equal(whole[^1].Event.StreamVersion, only.Event.StreamVersion);
        Assert.True(only.Event.StreamVersion > 1);
        Assert.Equal(whole[^2].Hash, only.PreviousHash);
        Assert.True((await AuditExportReader.VerifyOfflineAsync(new MemoryStream(bytes), AuditExportFormat.JsonLines, Ct)).IsIntact);
    }

    [Theory]
    [InlineData("jsonl", "")]
    [InlineData("csv", "tenant,streamId,version,position,eventId,eventType,recordedAt,data,metadata,previousHash,hash\r\n")]
    public async Task A_period_without_events_is_an_empty_export_not_an_error(string format, string expected)
    {
        await server.OpenCaseAsync();
        using var auditor = server.Client(Roles.Supervisor);

        using var response = await auditor.GetAsync($"/audit/export?from=2001-01-01T00:00:00Z&to=2001-02-01T00:00:00Z&format={format}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal($"audit-{AgencyA}-20010101T000000Z-20010201T000000Z.{format}", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    [Fact]
    public async Task Without_a_format_the_export_is_json_lines()
    {
        var id = await server.OpenCaseAsync();
        using var auditor = server.Client(Roles.Admin);

        using var response = await auditor.GetAsync($"/audit/cases/{id}/export", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith(".jsonl", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        var events = await ReadAsync(await response.Content.ReadAsByteArrayAsync(Ct), AuditExportFormat.JsonLines);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal(id, e.Event.StreamId));
    }

    /// <summary>A query (after the route) and the field its 400 must name.</summary>
    public static TheoryData<string, string> BadQueries => new()
    {
        { "/audit/export?to=2026-03-02T00:00:00Z", "from" },
        { "/audit/export?from=2026-03-01T00:00:00Z", "to" },
        { "/audit/export?from=&to=2026-03-02T00:00:00Z", "from" },
        { "/audit/export?from=never&to=2026-03-02T00:00:00Z", "from" },
        { "/audit/export?from=2026-03-01&to=2026-03-02T00:00:00Z", "from" },
        { "/audit/export?from=1800-01-01T00:00:00Z&to=2026-03-02T00:00:00Z", "from" },
        { "/audit/export?from=2026-03-01T00:00:00Z&to=99999-01-01T00:00:00Z", "to" },
        { "/audit/export?from=2026-03-01T00:00:00Z&to=soon", "to" },
        { "/audit/export?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to" },
        { "/audit/export?from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to" },
        { "/audit/export?from=2026-03-01T06:00:00%2B01:00&to=2026-03-01T05:00:00Z", "to" },
        { "/audit/export?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&format=xml", "format" },
        { "/audit/export?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&format=json", "format" },
        { "/audit/export?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&format=csv&format=jsonl", "format" },
        { "/audit/export?from=2026-03-01T00:00:00Z&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", "from" },
        { "/audit/cases/{id}/export?format=pdf", "format" },
        { "/audit/cases/{id}/export?format=1", "format" },
        { "/audit/cases/{id}/export?format=jsonl&format=jsonl", "format" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Each_bad_query_value_is_a_400_problem_naming_it(string path, string field)
    {
        var id = await server.OpenCaseAsync();
        using var auditor = server.Client(Roles.Auditor);

        using var response = await auditor.GetAsync(path.Replace("{id}", id, StringComparison.Ordinal), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        Assert.Equal("https://eventcase.dev/problems/request.invalid", problem["type"]!.GetValue<string>());
        Assert.NotNull(problem["errors"]![field]);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData(Roles.Agent)]
    [InlineData(Roles.Citizen)]
    public async Task Agents_and_citizens_may_not_export(string role)
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(role);

        using var caseExport = await client.GetAsync($"/audit/cases/{id}/export", Ct);
        using var periodExport = await client.GetAsync("/audit/export?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, caseExport.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, periodExport.StatusCode);
        Assert.DoesNotContain("A hole", await caseExport.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private async Task AddNoteAsync(string id)
    {
        using var agent = server.Client(Roles.Agent);
        using var response = await agent.PostAsync($"/cases/{id}/notes", Json("""{"text":"Called the citizen","visibility":"internal"}"""), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<List<ExportedEvent>> ReadAsync(byte[] bytes, AuditExportFormat format)
    {
        var events = new List<ExportedEvent>();
        await foreach (var exported in AuditExportReader.ReadAsync(new MemoryStream(bytes), format, Ct))
        {
            events.Add(exported);
        }

        return events;
    }

    private static string Instant(DateTimeOffset at) => Uri.EscapeDataString(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
}
