using System.Text.Json.Nodes;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.EventStore.Tests.Reading;

public sealed class ReadingStreamTests(DatabaseFixture database) : StoreTestBase(database), IClassFixture<DatabaseFixture>
{
    private async Task<StreamName> StreamWithNotesAppendedOneByOneAsync(int count)
    {
        var stream = NewStream();
        for (var i = 1; i <= count; i++)
        {
            await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(i - 1), [TestEvents.New(new NoteAdded(stream.Id, $"note {i}"))], Ct);
        }

        return stream;
    }

    [Fact]
    public async Task The_event_ids_of_several_streams_are_read_in_stream_order_in_one_call_and_streams_without_events_are_absent()
    {
        var first = await StreamWithNotesAppendedOneByOneAsync(3);
        var second = await StreamWithNotesAppendedOneByOneAsync(1);
        var empty = NewStream();

        var ids = await Store.ReadEventIdsAsync([first, empty, second, first], Ct);

        Assert.Equal([first, second], ids.Keys.OrderBy(s => s == first ? 0 : 1));
        Assert.Equal((await Store.ReadStreamAsync(first, cancellationToken: Ct).ToListAsync(Ct)).Select(e => e.EventId), ids[first]);
        Assert.Equal((await Store.ReadStreamAsync(second, cancellationToken: Ct).ToListAsync(Ct)).Select(e => e.EventId), ids[second]);
        Assert.Empty(await Store.ReadEventIdsAsync([], Ct));
        Assert.Equal("streamId", (await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.ReadEventIdsAsync([new StreamName("boston", "")], Ct))).Field);
    }

    [Fact]
    public async Task A_stream_reads_forward_in_version_order_with_its_data()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(4);

        var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);

        Assert.Equal(["note 1", "note 2", "note 3", "note 4"], events.Select(e => ((NoteAdded)e.Data).Text));
        Assert.All(events, e => Assert.Equal("test.note-added.v1", e.EventType));
    }

    [Fact]
    public async Task A_stream_reads_backward_newest_first_and_a_count_limits_it()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(5);

        var lastTwo = await Store.ReadStreamAsync(stream, new ReadStreamOptions { Direction = ReadDirection.Backward, MaxCount = 2 }, Ct).ToListAsync(Ct);

        Assert.Equal([5L, 4L], lastTwo.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task A_stream_reads_from_a_version_and_up_to_a_version()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(6);

        var middle = await Store.ReadStreamAsync(stream, new ReadStreamOptions { FromVersion = 2, ToVersion = 4 }, Ct).ToListAsync(Ct);
        var atVersion3 = await Store.ReadStreamAsync(stream, ReadStreamOptions.AtVersion(3), Ct).ToListAsync(Ct);

        Assert.Equal([2L, 3L, 4L], middle.Select(e => e.StreamVersion));
        Assert.Equal([1L, 2L, 3L], atVersion3.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task Time_travel_to_an_instant_returns_the_events_recorded_up_to_it()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(5);
        var all = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal(all.Select(e => e.RecordedAt).Order(), all.Select(e => e.RecordedAt));

        var asOfThird = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(all[2].RecordedAt), Ct).ToListAsync(Ct);
        var beforeFirst = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(all[0].RecordedAt - Duration.FromMilliseconds(1)), Ct).ToListAsync(Ct);
        var afterLast = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(all[^1].RecordedAt + Duration.FromDays(1)), Ct).ToListAsync(Ct);

        Assert.Equal([1L, 2L, 3L], asOfThird.Select(e => e.StreamVersion));
        Assert.Empty(beforeFirst);
        Assert.Equal(5, afterLast.Count);
    }

    [Fact]
    public async Task Time_travel_to_an_instant_is_a_prefix_of_the_stream_even_when_the_database_clock_stepped_back_between_appends()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(4);
        var all = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        // The clock stepped back before version 3 was appended: it was recorded before version 2 (what an NTP step does;
        // recorded_at is the database clock, taken per append).
        await using (var command = DataSource.CreateCommand(
            "UPDATE eventcase.events SET recorded_at = $3 WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 3"))
        {
            command.Parameters.AddWithValue(stream.Tenant);
            command.Parameters.AddWithValue(stream.Id);
            command.Parameters.AddWithValue((all[0].RecordedAt + Duration.FromTicks(10)).ToDateTimeUtc());
            await command.ExecuteNonQueryAsync(Ct);
        }

        var betweenFirstAndSecond = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(all[0].RecordedAt + Duration.FromTicks(20)), Ct).ToListAsync(Ct);
        var backward = await Store.ReadStreamAsync(
            stream, ReadStreamOptions.AsOf(all[0].RecordedAt + Duration.FromTicks(20)) with { Direction = ReadDirection.Backward }, Ct).ToListAsync(Ct);

        // Versions 1 and 3 without 2 never existed together: the answer stops where the first later-recorded event is.
        Assert.Equal([1L], betweenFirstAndSecond.Select(e => e.StreamVersion));
        Assert.Equal([1L], backward.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task Time_travel_to_the_earliest_instant_is_no_event_and_to_the_latest_is_every_event()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(3);

        var atMin = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(Instant.MinValue), Ct).ToListAsync(Ct);
        var beforeYearOne = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(Instant.FromUtc(0, 6, 1, 0, 0)), Ct).ToListAsync(Ct);
        var atMax = await Store.ReadStreamAsync(stream, ReadStreamOptions.AsOf(Instant.MaxValue), Ct).ToListAsync(Ct);

        Assert.Empty(atMin);
        Assert.Empty(beforeYearOne);
        Assert.Equal([1L, 2L, 3L], atMax.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task Reading_a_stream_that_does_not_exist_returns_nothing()
    {
        var events = await Store.ReadStreamAsync(NewStream(), cancellationToken: Ct).ToListAsync(Ct);

        Assert.Empty(events);
        Assert.Null(await Store.GetStreamInfoAsync(NewStream(), Ct));
    }

    [Fact]
    public async Task Bad_read_bounds_are_typed_errors()
    {
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(async () =>
            await Store.ReadStreamAsync(NewStream(), new ReadStreamOptions { FromVersion = 0 }, Ct).ToListAsync(Ct));
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(async () =>
            await Store.ReadStreamAsync(NewStream(), new ReadStreamOptions { MaxCount = -1 }, Ct).ToListAsync(Ct));
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(async () =>
            await Store.ReadStreamAsync(new StreamName("boston", ""), cancellationToken: Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task An_old_event_version_is_upcast_to_the_current_record_on_read_and_the_stored_row_is_untouched()
    {
        var writerOfTheOldDays = CreateStore(new EventTypeRegistry().Register<PrioritySetV1>());
        var stream = NewStream();
        await writerOfTheOldDays.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, [TestEvents.New(new PrioritySetV1("high"))], Ct);

        var today = CreateStore(TestEvents.Registry().AddUpcaster("test.priority-set.v1", "test.priority-set.v2", old => new JsonObject
        {
            ["level"] = old["level"]!.GetValue<string>() switch { "high" => 1, "normal" => 2, _ => 3 },
            ["reason"] = "upcast from v1",
        }));
        var read = (await today.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct)).Single();

        Assert.Equal(new PrioritySet(1, "upcast from v1"), read.Data);
        Assert.Equal("test.priority-set.v2", read.EventType);
        Assert.Equal("test.priority-set.v1", read.StoredEventType);
        await using var command = DataSource.CreateCommand("SELECT event_type, data::text FROM eventcase.events WHERE stream_id = $1");
        command.Parameters.AddWithValue(stream.Id);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        Assert.Equal("test.priority-set.v1", reader.GetString(0));
        Assert.Equal("""{"level": "high"}""", reader.GetString(1));
    }

    [Fact]
    public async Task Reading_an_event_whose_type_name_is_unknown_is_a_typed_error_naming_it()
    {
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, [TestEvents.New(new RareThingHappened(1))], Ct);
        var forgetful = CreateStore(new EventTypeRegistry().Register<NoteAdded>());

        var error = await Assert.ThrowsAsync<UnknownEventTypeException>(async () =>
            await forgetful.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct));

        Assert.Equal("test.rare-thing-happened.v1", error.TypeName);
        Assert.Contains("test.rare-thing-happened.v1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_event_without_a_member_its_record_requires_fails_the_read_naming_its_type_position_and_the_member()
    {
        var stream = await StreamWithNotesAppendedOneByOneAsync(2);
        var written = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        var position = written[1].Position;
        await using (var command = DataSource.CreateCommand("""UPDATE eventcase.events SET data = '{"thingId": "x"}' WHERE position = $1"""))
        {
            command.Parameters.AddWithValue(position);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }

        var error = await Assert.ThrowsAsync<System.Text.Json.JsonException>(async () =>
            await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct));
        var fromTheLog = await Assert.ThrowsAsync<System.Text.Json.JsonException>(async () =>
        {
            // The log gives an event once every older transaction on the cluster has ended: another test class's may not
            // have, and then the read returns nothing yet.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await Store.ReadLogAsync(written[0].LogPosition, 1, cancellationToken: Ct)).Events.Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }
        });

        Assert.StartsWith($"Event 'test.note-added.v1' at log position {position} cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing required properties including: 'text'", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, fromTheLog.Message);
    }

    [Fact]
    public async Task A_large_log_batch_with_unreadable_events_fails_with_the_first_ones_own_error_not_an_aggregate()
    {
        // Batches of 256 events or more are deserialized on every core; the failure must still be the one a sequential
        // read gives: the first unreadable event in log order, as a JsonException naming it.
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 400), Ct);
        var written = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        await using (var command = DataSource.CreateCommand("""UPDATE eventcase.events SET data = '{"thingId": "x"}' WHERE tenant_id = $1 AND stream_id = $2 AND stream_version IN (150, 151, 300, 390)"""))
        {
            command.Parameters.AddWithValue(stream.Tenant);
            command.Parameters.AddWithValue(stream.Id);
            Assert.Equal(4, await command.ExecuteNonQueryAsync(Ct));
        }

        var error = await Assert.ThrowsAsync<System.Text.Json.JsonException>(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await Store.ReadLogAsync(written[0].LogPosition, 1000, cancellationToken: Ct)).Events.Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }
        });

        Assert.StartsWith($"Event 'test.note-added.v1' at log position {written[149].Position} cannot be read: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_events_metadata_reads_back_as_appended_and_the_event_equals_its_rereading_whether_or_not_its_metadata_was_used()
    {
        var stream = NewStream();
        var metadata = new EventMetadata("agent-9", "supervisor", "corr-9", "cause-9", "web", "checked twice") { Extra = new Dictionary<string, string> { ["row"] = "12" } };
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(stream.Id, "n"), metadata)], Ct);

        var used = Assert.Single(await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct));
        var untouched = Assert.Single(await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct));
        var usedMetadata = used.Metadata;

        Assert.Equal(("agent-9", "supervisor", "corr-9", "cause-9", "web", "checked twice"), (usedMetadata.ActorId, usedMetadata.ActorRole, usedMetadata.CorrelationId, usedMetadata.CausationId, usedMetadata.Channel, usedMetadata.Reason));
        Assert.Equal("12", usedMetadata.Extra!["row"]);
        Assert.Equal(used, untouched);
        Assert.Equal(untouched, used);
        Assert.Equal(used.GetHashCode(), untouched.GetHashCode());
        Assert.NotEqual(used, untouched with { Metadata = TestEvents.Actor });
        Assert.Same(usedMetadata, used.Metadata);
    }

    [Fact]
    public async Task Many_threads_asking_for_the_metadata_of_the_same_events_at_once_all_get_it()
    {
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 200), Ct);
        var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);

        // Each event's metadata is asked for by several threads at once, as a rebuild's projections fold side by side.
        var seen = new System.Collections.Concurrent.ConcurrentBag<EventMetadata>();
        Parallel.For(0, events.Count * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => seen.Add(events[i / 4].Metadata));

        Assert.Equal(events.Count * 4, seen.Count);
        Assert.All(seen, m => Assert.Equal(TestEvents.Actor, m));
    }

    [Fact]
    public async Task A_stored_metadata_document_that_does_not_deserialize_fails_where_it_is_used_not_where_the_event_is_read()
    {
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);
        await using (var command = DataSource.CreateCommand("UPDATE eventcase.events SET metadata = '[1, 2]' WHERE tenant_id = $1 AND stream_id = $2 AND stream_version = 2"))
        {
            command.Parameters.AddWithValue(stream.Tenant);
            command.Parameters.AddWithValue(stream.Id);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }

        // Code that needs only the data (a decider's fold, most projections) reads the stream as before.
        var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);

        Assert.Equal(2, events.Count);
        Assert.IsType<NoteAdded>(events[1].Data);
        Assert.Equal(TestEvents.Actor, events[0].Metadata);
        var unreadable = Assert.Throws<System.Text.Json.JsonException>(() => events[1].Metadata);
        Assert.StartsWith($"The metadata of event 'test.note-added.v1' at log position {events[1].Position} ({stream} version 2) cannot be read: ", unreadable.Message, StringComparison.Ordinal);
        // Asking again fails again: a failed read is not remembered as a value.
        Assert.Throws<System.Text.Json.JsonException>(() => events[1].Metadata);
        // Logging the event does not fail: its text says the metadata is unreadable, and shows the rest.
        var text = events[1].ToString();
        Assert.Contains("Metadata = (unreadable: ", text, StringComparison.Ordinal);
        Assert.Contains($"StreamVersion = 2, EventId = {events[1].EventId}", text, StringComparison.Ordinal);
        Assert.Contains("agent-7", events[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_streams_are_read_whole_in_one_call_each_as_its_own_read_gives_it_and_streams_without_events_are_absent()
    {
        var first = await StreamWithNotesAppendedOneByOneAsync(3);
        var second = await StreamWithNotesAppendedOneByOneAsync(1);
        var other = NewStream("cambridge");
        await Store.AppendToStreamAsync(other, "thing", ExpectedVersion.NoStream, TestEvents.Notes(other.Id, 2), Ct);
        var empty = NewStream();

        var read = await Store.ReadStreamsAsync([second, empty, first, other, first], Ct);

        Assert.Equal(3, read.Count);
        foreach (var stream in new[] { first, second, other })
        {
            Assert.Equal(await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct), read[stream]);
        }

        Assert.False(read.ContainsKey(empty));
        Assert.Equal(["note 1", "note 2", "note 3"], read[first].Select(e => ((NoteAdded)e.Data).Text));
        Assert.Empty(await Store.ReadStreamsAsync([], Ct));
    }

    [Fact]
    public async Task Reading_too_many_streams_at_once_or_a_bad_stream_name_is_a_typed_error_naming_the_field()
    {
        var tooMany = Enumerable.Range(0, PostgresEventStore.MaxStreamsPerRead + 1).Select(i => new StreamName("boston", $"thing-{i}")).ToList();

        var error = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.ReadStreamsAsync(tooMany, Ct));
        Assert.Equal("streams", error.Field);
        Assert.Contains("1001", error.Message, StringComparison.Ordinal);
        // The limit counts distinct streams: the same stream named many times is one.
        Assert.Empty(await Store.ReadStreamsAsync(Enumerable.Repeat(NewStream(), PostgresEventStore.MaxStreamsPerRead + 1).ToList(), Ct));
        Assert.Equal("streamId", (await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.ReadStreamsAsync([new StreamName("boston", "")], Ct))).Field);
    }
}
