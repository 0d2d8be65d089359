using System.Text;
using EventCase.EventStore.Auditing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.EventStore.Tests.Auditing;

public sealed class ExportTests(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Row = "tenant_id = $1 AND stream_id = $2";

    private AuditExporter Exporter => new(Store, batchSize: 3);

    [Theory]
    [InlineData(AuditExportFormat.JsonLines)]
    [InlineData(AuditExportFormat.Csv)]
    public async Task An_export_that_fails_before_its_first_event_writes_nothing_so_that_its_caller_can_still_answer_with_an_error(AuditExportFormat format)
    {
        // Nothing listens on port 1: the read fails after the writer has started (the CSV header is due first).
        await using var unreachable = Npgsql.NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=2;Username=nobody");
        var store = new PostgresEventStore(unreachable, new EventCase.EventStore.Serialization.EventSerializer(TestEvents.Registry()));
        using var file = new MemoryStream();

        await Assert.ThrowsAnyAsync<Npgsql.NpgsqlException>(
            () => new AuditExporter(store).ExportTenantAsync("boston", Instant.MinValue, Instant.MaxValue, format, file, Ct));

        Assert.Equal(0, file.Length);
    }

    [Theory]
    [InlineData(AuditExportFormat.JsonLines)]
    [InlineData(AuditExportFormat.Csv)]
    public async Task A_stream_exported_and_read_back_offline_verifies_and_gives_the_same_events(AuditExportFormat format)
    {
        var stream = NewStream(NewTenant());
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 4), Ct);
        await Store.AppendToStreamAsync(
            stream,
            "thing",
            ExpectedVersion.Exactly(4),
            [TestEvents.New(new NoteAdded(stream.Id, "a, \"quoted\"\nline with é and 😀")), TestEvents.New(new RareThingHappened(7))],
            Ct);
        var stored = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);

        using var file = new MemoryStream();
        var summary = await Exporter.ExportStreamAsync(stream, format, file, Ct);
        file.Position = 0;
        var exported = await AuditExportReader.ReadAsync(file, format, Ct).ToListAsync(Ct);
        file.Position = 0;
        var report = await AuditExportReader.VerifyOfflineAsync(file, format, Ct);

        Assert.Equal(new AuditExportSummary(6, 1), summary);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Equal(6, report.EventsChecked);
        Assert.Equal(stored.Select(e => (e.StreamVersion, e.EventId, e.StoredEventType, e.Position, e.Hash, e.RecordedAt)),
            exported.Select(e => (e.Event.StreamVersion, e.Event.EventId, e.Event.EventType, e.Position, e.Hash, e.Event.RecordedAt)));
        Assert.Equal(AuditHash.Zero, exported[0].PreviousHash);
        Assert.All(exported.Skip(1), (e, i) => Assert.Equal(exported[i].Hash, e.PreviousHash));
        for (var v = 1; v <= 6; v++)
        {
            Assert.Equal(await CanonicalAsync(stream, v), exported[v - 1].Event);
        }
    }

    [Fact]
    public async Task A_json_lines_export_holds_the_stored_json_verbatim_and_the_hashes_in_hex()
    {
        var stream = await StreamWithNotesAsync(1);

        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);
        var line = Encoding.UTF8.GetString(file.ToArray()).TrimEnd('\n');

        var canonical = await CanonicalAsync(stream, 1);
        Assert.Contains($"\"data\":{canonical.DataJson},", line, StringComparison.Ordinal);
        Assert.Contains($"\"metadata\":{canonical.MetadataJson},", line, StringComparison.Ordinal);
        Assert.Contains($"\"previousHash\":\"{AuditHash.Zero}\"", line, StringComparison.Ordinal);
        Assert.Contains($"\"hash\":\"{Convert.ToHexStringLower(await StoredHashAsync(stream, 1))}\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Theory]
    [InlineData("'infinity'", AuditExportFormat.JsonLines)]
    [InlineData("'20000-01-01T00:00:00Z'", AuditExportFormat.Csv)]
    [InlineData("'0044-03-15 BC'", AuditExportFormat.JsonLines)]
    public async Task An_event_whose_recorded_at_was_set_outside_the_years_1_to_9999_is_exported_and_found_altered_offline(string value, AuditExportFormat format)
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.events SET recorded_at = {value}::timestamptz WHERE {Row} AND stream_version = 2");

        using var file = new MemoryStream();
        var summary = await Exporter.ExportStreamAsync(stream, format, file, Ct);
        file.Position = 0;
        var report = await AuditExportReader.VerifyOfflineAsync(file, format, Ct);

        Assert.Equal(4, summary.Events);
        var finding = Assert.Single(report.Findings);
        Assert.Equal((2L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task A_period_from_the_earliest_to_the_latest_instant_exports_every_event_of_the_tenant()
    {
        var tenant = NewTenant();
        await StreamWithNotesAsync(3, tenant);
        await StreamWithNotesAsync(2, tenant);

        using var file = new MemoryStream();
        var summary = await Exporter.ExportTenantAsync(tenant, Instant.MinValue, Instant.MaxValue, AuditExportFormat.JsonLines, file, Ct);

        Assert.Equal(new AuditExportSummary(5, 2), summary);
    }

    [Fact]
    public async Task A_tenants_period_export_holds_exactly_the_events_recorded_in_the_period_and_verifies_offline()
    {
        var tenant = NewTenant();
        var early = await StreamWithNotesAsync(3, tenant);
        await Task.Delay(20, Ct);
        var from = await NowAsync();
        var later = await StreamWithNotesAsync(4, tenant);
        await Store.AppendToStreamAsync(early, "thing", ExpectedVersion.Exactly(3), TestEvents.Notes(early.Id, 2), Ct);
        var to = await NowAsync();
        await Task.Delay(20, Ct);
        await Store.AppendToStreamAsync(later, "thing", ExpectedVersion.Exactly(4), TestEvents.Notes(later.Id, 1), Ct);
        await StreamWithNotesAsync(2); // another tenant

        using var file = new MemoryStream();
        var summary = await Exporter.ExportTenantAsync(tenant, from, to, AuditExportFormat.Csv, file, Ct);
        file.Position = 0;
        var exported = await AuditExportReader.ReadAsync(file, AuditExportFormat.Csv, Ct).ToListAsync(Ct);
        file.Position = 0;
        var report = await AuditExportReader.VerifyOfflineAsync(file, AuditExportFormat.Csv, Ct);

        Assert.Equal(new AuditExportSummary(6, 2), summary);
        Assert.Equal(
            new[] { (early.Id, 4L), (early.Id, 5L), (later.Id, 1L), (later.Id, 2L), (later.Id, 3L), (later.Id, 4L) }.OrderBy(e => e.Item1, StringComparer.Ordinal),
            exported.Select(e => (e.Event.StreamId, e.Event.StreamVersion)));
        // The period starts mid-stream: the first exported event names the hash it chains from.
        Assert.Equal(AuditHash.FromBytes(await StoredHashAsync(early, 3)), exported.First(e => e.Event.StreamId == early.Id).PreviousHash);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Equal(2, report.StreamsChecked);
    }

    [Theory]
    [InlineData(AuditExportFormat.JsonLines)]
    [InlineData(AuditExportFormat.Csv)]
    public async Task A_period_starting_mid_stream_right_after_another_streams_version_one_lower_chains_from_its_own_previous_event(AuditExportFormat format)
    {
        var tenant = NewTenant();
        // Ordered by id: "a-…" is exported first, its last version in the period 4, and "b-…" enters the period at 5.
        var a = new StreamName(tenant, "a-" + Guid.NewGuid().ToString("N"));
        var b = new StreamName(tenant, "b-" + Guid.NewGuid().ToString("N"));
        await Store.AppendToStreamAsync(b, "thing", ExpectedVersion.NoStream, TestEvents.Notes(b.Id, 4), Ct);
        await Task.Delay(20, Ct);
        var from = await NowAsync();
        await Store.AppendToStreamAsync(a, "thing", ExpectedVersion.NoStream, TestEvents.Notes(a.Id, 4), Ct);
        await Store.AppendToStreamAsync(b, "thing", ExpectedVersion.Exactly(4), TestEvents.Notes(b.Id, 2), Ct);

        using var file = new MemoryStream();
        await new AuditExporter(Store).ExportTenantAsync(tenant, from, Instant.MaxValue, format, file, Ct);
        file.Position = 0;
        var exported = await AuditExportReader.ReadAsync(file, format, Ct).ToListAsync(Ct);
        file.Position = 0;
        var report = await AuditExportReader.VerifyOfflineAsync(file, format, Ct);

        Assert.Equal(
            new[] { (a.Id, 1L), (a.Id, 2L), (a.Id, 3L), (a.Id, 4L), (b.Id, 5L), (b.Id, 6L) },
            exported.Select(e => (e.Event.StreamId, e.Event.StreamVersion)));
        Assert.Equal(AuditHash.FromBytes(await StoredHashAsync(b, 4)), exported[4].PreviousHash);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
    }

    [Fact]
    public async Task An_event_recorded_exactly_on_a_period_boundary_is_in_the_period_it_starts_and_not_the_one_it_ends()
    {
        var tenant = NewTenant();
        var stream = await StreamWithNotesAsync(1, tenant);
        var boundary = (await CanonicalAsync(stream, 1)).RecordedAt;

        async Task<long> EventsIn(Instant from, Instant to)
        {
            using var file = new MemoryStream();
            return (await Exporter.ExportTenantAsync(tenant, from, to, AuditExportFormat.JsonLines, file, Ct)).Events;
        }

        Assert.Equal(0, await EventsIn(boundary - Duration.FromSeconds(1), boundary));
        Assert.Equal(1, await EventsIn(boundary, boundary + Duration.FromSeconds(1)));
        // One microsecond either side, the store's resolution.
        Assert.Equal(1, await EventsIn(boundary - Duration.FromSeconds(1), boundary + Duration.FromTicks(10)));
        Assert.Equal(0, await EventsIn(boundary + Duration.FromTicks(10), boundary + Duration.FromSeconds(1)));
    }

    [Theory]
    [InlineData("{\n  \"tenant\": \"boston\"\n}", "Line 1 is not an audit export row: not one JSON object (an export holds one event per line).")]
    [InlineData("[1, 2]", "Line 1 is not an audit export row: it is a JSON array, not an object.")]
    [InlineData("{\"tenant\": \"boston\"}", "Line 1 is not an audit export row: it has no \"streamId\".")]
    [InlineData("{\"tenant\": 7}", "Line 1 is not an audit export row: its \"tenant\" is not a string.")]
    public async Task A_file_that_is_not_a_json_lines_export_is_refused_naming_what_is_wrong_with_its_line(string text, string message)
    {
        using var file = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));

        var refused = await Assert.ThrowsAsync<FormatException>(() => AuditExportReader.VerifyOfflineAsync(file, AuditExportFormat.JsonLines, Ct));

        Assert.Equal(message, refused.Message);
    }

    [Theory]
    [InlineData(AuditExportFormat.JsonLines)]
    [InlineData(AuditExportFormat.Csv)]
    public async Task Editing_an_export_file_is_found_offline(AuditExportFormat format)
    {
        var stream = await StreamWithNotesAsync(3);
        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, format, file, Ct);

        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n');
        var second = format == AuditExportFormat.Csv ? 2 : 1; // CSV has a header row
        Assert.Contains("note 1", lines[second], StringComparison.Ordinal);
        lines[second] = lines[second].Replace("note 1", "note 9", StringComparison.Ordinal);
        var edited = string.Join('\n', lines);
        var report = await AuditExportReader.VerifyOfflineAsync(new MemoryStream(Encoding.UTF8.GetBytes(edited)), format, Ct);

        var finding = Assert.Single(report.Findings);
        Assert.Equal((2L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Dropping_a_line_from_an_export_is_found_offline_as_a_deleted_event()
    {
        var stream = await StreamWithNotesAsync(4);
        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);

        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines.RemoveAt(2);
        var report = await AuditExportReader.VerifyOfflineAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), AuditExportFormat.JsonLines, Ct);

        var finding = Assert.Single(report.Findings);
        Assert.Equal((3L, TamperKind.DeletedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Repeating_a_line_of_an_export_is_found_offline_as_an_inserted_event_that_comes_again()
    {
        var stream = await StreamWithNotesAsync(4);
        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);

        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines.Insert(2, lines[1]);
        var report = await AuditExportReader.VerifyOfflineAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), AuditExportFormat.JsonLines, Ct);

        var finding = Assert.Single(report.Findings);
        Assert.Equal((2L, TamperKind.InsertedEvent), (finding.Version, finding.Kind));
        // Version 3 is not the stream's first version: the row is a repeat, not one from before the export's start.
        Assert.Equal("version 2 comes again after version 2: a row repeated or out of order", finding.Detail);
    }

    [Fact]
    public async Task Swapping_two_lines_of_an_export_is_found_offline_as_reordered_events_not_as_a_missing_one()
    {
        var stream = await StreamWithNotesAsync(5);
        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);

        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        (lines[1], lines[2]) = (lines[2], lines[1]);
        var report = await AuditExportReader.VerifyOfflineAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), AuditExportFormat.JsonLines, Ct);

        // Every version is in the file, each intact: version 2 is not missing, it comes after version 3.
        var finding = Assert.Single(report.Findings);
        Assert.Equal((2L, TamperKind.ReorderedEvents), (finding.Version, finding.Kind));
        Assert.Equal("version 2 comes after version 3: the rows are out of order", finding.Detail);
    }

    [Fact]
    public async Task A_json_lines_export_row_with_a_member_given_twice_is_refused_naming_the_member()
    {
        var stream = await StreamWithNotesAsync(3);
        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);

        // A second "data" in front of the one the hash covers: a reader that takes the first member would show it,
        // while the check would vouch for the other.
        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines[1] = lines[1].Replace("\"data\":", "\"data\":{\"text\": \"rewritten\"},\"data\":", StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<FormatException>(() => AuditExportReader.VerifyOfflineAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), AuditExportFormat.JsonLines, Ct));

        Assert.Equal("Line 2 is not an audit export row: it has \"data\" twice.", refused.Message);
    }

    [Fact]
    public async Task A_json_lines_export_row_with_a_member_no_hash_covers_is_refused_naming_the_member()
    {
        var stream = await StreamWithNotesAsync(3);
        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);

        // Something a reader of the line would take as part of the record, vouched for by nothing.
        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines[1] = lines[1].Replace("\"data\":", "\"approvedBy\":\"the director\",\"data\":", StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<FormatException>(() => AuditExportReader.VerifyOfflineAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), AuditExportFormat.JsonLines, Ct));

        Assert.StartsWith("Line 2 is not an audit export row: it has \"approvedBy\", which is not a column of an audit export (", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dropping_a_line_and_moving_the_streams_later_lines_after_another_stream_is_found_offline()
    {
        var tenant = NewTenant();
        var first = await StreamWithNotesAsync(4, tenant);
        var second = await StreamWithNotesAsync(4, tenant);
        using var file = new MemoryStream();
        await Exporter.ExportTenantAsync(tenant, Instant.FromUtc(2000, 1, 1, 0, 0), Instant.FromUtc(2100, 1, 1, 0, 0), AuditExportFormat.JsonLines, file, Ct);
        var lines = Encoding.UTF8.GetString(file.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var split = lines[0].Contains(first.Id, StringComparison.Ordinal) ? first : second;

        // Version 2 of the stream that comes first is removed, and its versions 3… moved to the end of the file, where
        // each would chain on its own from the previous hash it names.
        var moved = lines.GetRange(2, 2);
        lines.RemoveRange(1, 3);
        lines.AddRange(moved);
        var report = await AuditExportReader.VerifyOfflineAsync(
            new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")), AuditExportFormat.JsonLines, Ct);

        var finding = Assert.Single(report.Findings);
        Assert.Equal((split, 3L, TamperKind.InsertedEvent), (finding.Stream, finding.Version, finding.Kind));
        Assert.Equal(2, report.StreamsChecked);
        Assert.Equal(7, report.EventsChecked);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://example.test\",\"open\")")]
    [InlineData("+1+1")]
    [InlineData("-1+1")]
    [InlineData("@SUM(1)")]
    [InlineData("'=already quoted")]
    public async Task A_csv_export_starts_no_field_with_a_formula_character_and_reads_back_to_the_stored_text(string streamId)
    {
        var stream = new StreamName(NewTenant(), streamId);
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);

        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.Csv, file, Ct);
        file.Position = 0;
        var exported = await AuditExportReader.ReadAsync(file, AuditExportFormat.Csv, Ct).ToListAsync(Ct);
        file.Position = 0;
        var report = await AuditExportReader.VerifyOfflineAsync(file, AuditExportFormat.Csv, Ct);

        var rows = Encoding.UTF8.GetString(file.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(2, rows.Count);
        // The stream id is the second field: after the tenant and its comma, optionally inside quotes.
        Assert.All(rows, row => Assert.StartsWith("'", row[(stream.Tenant.Length + 1)..].TrimStart('"'), StringComparison.Ordinal));
        Assert.All(exported, e => Assert.Equal(streamId, e.Event.StreamId));
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
    }

    [Fact]
    public async Task A_csv_export_of_a_row_whose_version_was_set_below_one_reads_back_and_is_found_offline()
    {
        var stream = await StreamWithNotesAsync(3);
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = -1 WHERE {Row} AND stream_version = 1");

        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.Csv, file, Ct);
        file.Position = 0;
        var report = await AuditExportReader.VerifyOfflineAsync(file, AuditExportFormat.Csv, Ct);

        Assert.False(report.IsIntact);
        Assert.Equal(3, report.EventsChecked);
    }

    [Fact]
    public async Task An_export_of_a_tampered_store_fails_offline_verification_like_the_online_one()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.events SET metadata = '{{}}' WHERE {Row} AND stream_version = 2");

        using var file = new MemoryStream();
        await Exporter.ExportStreamAsync(stream, AuditExportFormat.JsonLines, file, Ct);
        file.Position = 0;
        var offline = await AuditExportReader.VerifyOfflineAsync(file, AuditExportFormat.JsonLines, Ct);

        Assert.Equal(Assert.Single((await VerifyAsync(stream)).Findings), Assert.Single(offline.Findings));
    }

    private async Task<Instant> NowAsync()
    {
        await using var command = DataSource.CreateCommand("SELECT clock_timestamp()");
        return Instant.FromDateTimeUtc((DateTime)(await command.ExecuteScalarAsync(Ct))!);
    }
}
