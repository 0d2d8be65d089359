using EventCase.EventStore.Auditing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Auditing;

/// <summary>Issue 6: every kind of tampering made with plain SQL is detected, located and named.</summary>
public sealed class TamperingTests(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Row = "tenant_id = $1 AND stream_id = $2";

    [Fact]
    public async Task An_untouched_stream_verifies()
    {
        var stream = await StreamWithNotesAsync(6);

        var report = await VerifyAsync(stream);

        Assert.True(report.IsIntact);
        Assert.Equal(6, report.EventsChecked);
        Assert.Equal(1, report.StreamsChecked);
    }

    [Fact]
    public async Task Editing_an_events_data_is_an_edited_event_at_its_version()
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"UPDATE eventcase.events SET data = jsonb_set(data, '{{text}}', '\"nothing to see\"') WHERE {Row} AND stream_version = 3");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((3L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Editing_an_events_metadata_is_an_edited_event_at_its_version()
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"UPDATE eventcase.events SET metadata = metadata || '{{\"actorId\": \"someone-else\"}}' WHERE {Row} AND stream_version = 2");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((2L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Theory]
    [InlineData("event_type = 'test.rare-thing-happened.v1'")]
    [InlineData("recorded_at = recorded_at - interval '1 microsecond'")]
    [InlineData("event_id = gen_random_uuid()")]
    public async Task Editing_an_events_type_time_or_id_is_an_edited_event_at_its_version(string change)
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"UPDATE eventcase.events SET {change} WHERE {Row} AND stream_version = 4");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((4L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Theory]
    [InlineData("'infinity'")]
    [InlineData("'-infinity'")]
    [InlineData("'20000-01-01T00:00:00Z'")]
    [InlineData("'0044-03-15 BC'")]
    public async Task Setting_an_events_recorded_at_outside_the_years_1_to_9999_is_an_edited_event_not_a_failed_verification(string value)
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.events SET recorded_at = {value}::timestamptz WHERE {Row} AND stream_version = 2");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((2L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Editing_the_last_event_is_an_edited_event_even_with_no_event_after_it()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 4");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((4L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Editing_an_event_and_forging_its_hash_breaks_the_chain_at_the_next_event()
    {
        var stream = await StreamWithNotesAsync(5);
        await TamperAsync(stream, $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 2");
        var forged = (await CanonicalAsync(stream, 2)).ComputeHash(AuditHash.FromBytes(await StoredHashAsync(stream, 1)));
        await TamperAsync(stream, $"UPDATE eventcase.events SET hash = $3 WHERE {Row} AND stream_version = 2", forged.ToArray());

        var finding = await SingleFindingAsync(stream);

        // Version 2 now chains; version 3 no longer does. Which of the two was edited cannot be told from the chain
        // alone: a signed checkpoint taken earlier can (docs/audit.md).
        Assert.Equal((3L, TamperKind.EditedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Deleting_an_event_is_a_deleted_event_at_the_missing_version()
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 3");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((3L, TamperKind.DeletedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Deleting_the_first_event_is_a_deleted_event_at_version_one()
    {
        var stream = await StreamWithNotesAsync(3);
        await TamperAsync(stream, $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 1");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((1L, TamperKind.DeletedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Deleting_the_last_event_is_a_deleted_event_found_through_the_stream_row()
    {
        var stream = await StreamWithNotesAsync(5);
        await TamperAsync(stream, $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 5");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((5L, TamperKind.DeletedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Deleting_an_event_and_renumbering_the_rest_down_is_a_deleted_event()
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 3");
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = -stream_version WHERE {Row} AND stream_version > 3");
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = -stream_version - 1 WHERE {Row} AND stream_version < 0");
        await TamperAsync(stream, $"UPDATE eventcase.streams SET version = 5 WHERE {Row}");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((3L, TamperKind.DeletedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Inserting_a_row_after_the_last_event_is_an_inserted_event_beyond_the_head()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(
            stream,
            $"""
             INSERT INTO eventcase.events (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at, hash)
             SELECT tenant_id, stream_id, 5, gen_random_uuid(), event_type, data, metadata, recorded_at, hash
               FROM eventcase.events WHERE {Row} AND stream_version = 4
             """);

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((5L, TamperKind.InsertedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Inserting_a_row_with_a_correctly_chained_hash_after_the_head_is_still_an_inserted_event()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(
            stream,
            $"""
             INSERT INTO eventcase.events (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at)
             SELECT tenant_id, stream_id, 5, gen_random_uuid(), event_type, data, metadata, recorded_at
               FROM eventcase.events WHERE {Row} AND stream_version = 4
             """);
        var forged = (await CanonicalAsync(stream, 5)).ComputeHash(AuditHash.FromBytes(await StoredHashAsync(stream, 4)));
        await TamperAsync(stream, $"UPDATE eventcase.events SET hash = $3 WHERE {Row} AND stream_version = 5", forged.ToArray());

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((5L, TamperKind.InsertedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Inserting_a_row_without_a_hash_far_beyond_the_head_is_an_inserted_event()
    {
        var stream = await StreamWithNotesAsync(3);
        await TamperAsync(
            stream,
            $"""
             INSERT INTO eventcase.events (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at)
             SELECT tenant_id, stream_id, 9, gen_random_uuid(), event_type, data, metadata, recorded_at
               FROM eventcase.events WHERE {Row} AND stream_version = 1
             """);

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((9L, TamperKind.InsertedEvent), (finding.Version, finding.Kind));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Inserting_a_row_between_events_by_shifting_the_later_versions_up_is_an_inserted_event(bool forgeHash)
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = -stream_version WHERE {Row} AND stream_version >= 3");
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = -stream_version + 1 WHERE {Row} AND stream_version < 0");
        await TamperAsync(
            stream,
            $$"""
              INSERT INTO eventcase.events (tenant_id, stream_id, stream_version, event_id, event_type, data, metadata, recorded_at, hash)
              SELECT tenant_id, stream_id, 3, gen_random_uuid(), event_type, '{"thingId": "x", "text": "backdated"}', metadata, recorded_at, hash
                FROM eventcase.events WHERE {{Row}} AND stream_version = 2
              """);
        await TamperAsync(stream, $"UPDATE eventcase.streams SET version = 7 WHERE {Row}");
        if (forgeHash)
        {
            var forged = (await CanonicalAsync(stream, 3)).ComputeHash(AuditHash.FromBytes(await StoredHashAsync(stream, 2)));
            await TamperAsync(stream, $"UPDATE eventcase.events SET hash = $3 WHERE {Row} AND stream_version = 3", forged.ToArray());
        }

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((3L, TamperKind.InsertedEvent), (finding.Version, finding.Kind));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(2, 5)]
    [InlineData(1, 6)]
    public async Task Swapping_two_events_versions_is_reordered_events_at_the_lower_version(int lower, int higher)
    {
        var stream = await StreamWithNotesAsync(6);
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = -1 WHERE {Row} AND stream_version = $3", (long)lower);
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = $3 WHERE {Row} AND stream_version = $4", (long)lower, (long)higher);
        await TamperAsync(stream, $"UPDATE eventcase.events SET stream_version = $3 WHERE {Row} AND stream_version = -1", (long)higher);

        var finding = await SingleFindingAsync(stream);

        Assert.Equal(((long)lower, TamperKind.ReorderedEvents), (finding.Version, finding.Kind));
        Assert.Contains($"{higher}", finding.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_the_stream_rows_head_hash_is_a_changed_head()
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.streams SET head_hash = sha256('forged') WHERE {Row}");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((4L, TamperKind.ChangedHead), (finding.Version, finding.Kind));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Changing_the_stream_rows_version_is_a_changed_head(long version)
    {
        var stream = await StreamWithNotesAsync(4);
        await TamperAsync(stream, $"UPDATE eventcase.streams SET version = $3 WHERE {Row}", version);

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((4L, TamperKind.ChangedHead), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Deleting_the_stream_row_is_a_changed_head()
    {
        var stream = await StreamWithNotesAsync(3);
        await TamperAsync(stream, $"DELETE FROM eventcase.streams WHERE {Row}");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal(TamperKind.ChangedHead, finding.Kind);
    }

    [Fact]
    public async Task Deleting_every_event_of_a_stream_is_a_deleted_event_at_version_one()
    {
        var stream = await StreamWithNotesAsync(3);
        await TamperAsync(stream, $"DELETE FROM eventcase.events WHERE {Row}");

        var finding = await SingleFindingAsync(stream);

        Assert.Equal((1L, TamperKind.DeletedEvent), (finding.Version, finding.Kind));
    }

    [Fact]
    public async Task Verifying_a_tenant_reports_every_broken_stream_once_and_no_intact_one_across_batch_boundaries()
    {
        var tenant = NewTenant();
        var streams = new List<StreamName>();
        for (var i = 0; i < 12; i++)
        {
            streams.Add(await StreamWithNotesAsync(1 + (i % 5), tenant));
        }

        await TamperAsync(streams[2], $"UPDATE eventcase.events SET data = '{{}}' WHERE {Row} AND stream_version = 1");
        await TamperAsync(streams[4], $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 2");
        await TamperAsync(streams[11], $"UPDATE eventcase.streams SET head_hash = NULL WHERE {Row}");
        var otherTenant = await StreamWithNotesAsync(2);
        await TamperAsync(otherTenant, $"DELETE FROM eventcase.events WHERE {Row} AND stream_version = 1");

        foreach (var batchSize in new[] { 1, 2, 4, 7, 1000 })
        {
            var report = await new AuditVerifier(Store, batchSize).VerifyTenantAsync(tenant, cancellationToken: Ct);

            Assert.Equal(12, report.StreamsChecked);
            Assert.Equal(streams.Sum(s => 1 + (streams.IndexOf(s) % 5)) - 1, report.EventsChecked);
            Assert.Equal(3, report.BrokenStreams);
            Assert.Equal(
                new[] { (streams[2], TamperKind.EditedEvent), (streams[4], TamperKind.DeletedEvent), (streams[11], TamperKind.ChangedHead) }
                    .OrderBy(f => f.Item1.Id, StringComparer.Ordinal),
                report.Findings.Select(f => (f.Stream, f.Kind)));
        }
    }
}
