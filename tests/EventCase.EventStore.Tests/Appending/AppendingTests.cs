using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using NodaTime;
using Npgsql;

namespace EventCase.EventStore.Tests.Appending;

public sealed class AppendingTests(DatabaseFixture database) : StoreTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Appending_to_a_new_stream_numbers_its_events_from_one_and_draws_increasing_positions()
    {
        var stream = NewStream();

        var result = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 3), Ct);

        Assert.Equal(3, result.NextExpectedVersion);
        Assert.False(result.AlreadyAppended);
        Assert.Equal(3, result.Positions.Count);
        Assert.True(result.Positions[0] < result.Positions[1] && result.Positions[1] < result.Positions[2]);
        var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.StreamVersion));
        Assert.Equal(result.Positions, events.Select(e => e.Position));
        var info = await Store.GetStreamInfoAsync(stream, Ct);
        Assert.NotNull(info);
        Assert.Equal(3, info.Version);
        Assert.Equal("thing", info.StreamType);
    }

    [Fact]
    public async Task Appending_with_the_current_version_extends_the_stream()
    {
        var stream = NewStream();
        var first = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);

        var second = await Store.AppendToStreamAsync(
            stream, "thing", ExpectedVersion.Exactly(first.NextExpectedVersion), TestEvents.Notes(stream.Id, 1), Ct);

        Assert.Equal(3, second.NextExpectedVersion);
    }

    [Fact]
    public async Task A_wrong_expected_version_is_a_typed_error_carrying_tenant_stream_expected_and_actual_version()
    {
        var stream = NewStream("cambridge");
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(1), TestEvents.Notes(stream.Id, 1), Ct));

        Assert.Equal("cambridge", error.Tenant);
        Assert.Equal(stream.Id, error.StreamId);
        Assert.Equal(ExpectedVersion.Exactly(1), error.Expected);
        Assert.Equal(2, error.ActualVersion);
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, await CountEventsAsync(stream));
    }

    [Fact]
    public async Task No_stream_is_refused_when_the_stream_exists_and_stream_exists_is_refused_when_it_does_not()
    {
        var existing = NewStream();
        await Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.NoStream, TestEvents.Notes(existing.Id, 1), Ct);
        var missing = NewStream();

        var onExisting = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.NoStream, TestEvents.Notes(existing.Id, 1), Ct));
        var onMissing = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            Store.AppendToStreamAsync(missing, "thing", ExpectedVersion.StreamExists, TestEvents.Notes(missing.Id, 1), Ct));

        Assert.Equal(1, onExisting.ActualVersion);
        Assert.Equal(0, onMissing.ActualVersion);
        Assert.Null(await Store.GetStreamInfoAsync(missing, Ct));
    }

    [Fact]
    public async Task Any_version_appends_whatever_the_stream_holds()
    {
        var stream = NewStream();
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, TestEvents.Notes(stream.Id, 1), Ct);
        var result = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, TestEvents.Notes(stream.Id, 1), Ct);

        Assert.Equal(2, result.NextExpectedVersion);
    }

    [Fact]
    public async Task A_rejected_append_draws_no_position()
    {
        var stream = NewStream();
        var first = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 1), Ct);
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
                Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 3), Ct));
        }

        await using (var command = DataSource.CreateCommand("SELECT last_value FROM eventcase.events_position_seq"))
        {
            var lastDrawn = (long)(await command.ExecuteScalarAsync(Ct))!;
            Assert.True(lastDrawn <= await MaxPositionAsync(), "a rejected append must not draw positions");
        }

        var next = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(1), TestEvents.Notes(stream.Id, 1), Ct);
        Assert.True(next.Positions[0] > first.Positions[0]);
    }

    [Fact]
    public async Task Two_writers_racing_on_one_stream_one_wins_and_the_loser_learns_the_actual_version()
    {
        for (var round = 0; round < 20; round++)
        {
            var stream = NewStream();
            await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 1), Ct);
            using var start = new Barrier(2);

            var writers = Enumerable.Range(0, 2).Select(writer => Task.Run(async () =>
            {
                start.SignalAndWait(Ct);
                try
                {
                    await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(1), TestEvents.Notes(stream.Id, 2), Ct);
                    return (Won: true, Actual: 3L);
                }
                catch (WrongExpectedVersionException e)
                {
                    return (Won: false, Actual: e.ActualVersion);
                }
            }, Ct)).ToArray();
            var outcomes = await Task.WhenAll(writers);

            Assert.Single(outcomes, o => o.Won);
            Assert.Single(outcomes, o => !o.Won && o.Actual == 3);
            Assert.Equal(3, await CountEventsAsync(stream));
        }
    }

    [Fact]
    public async Task Many_writers_on_many_streams_lose_no_event_and_double_none()
    {
        var streams = Enumerable.Range(0, 16).Select(_ => NewStream()).ToArray();
        const int appendsPerWriter = 40;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < appendsPerWriter; i++)
            {
                var stream = streams[random.Next(streams.Length)];
                await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, [TestEvents.New(new NoteAdded(stream.Id, $"w{writer}-{i}"))], Ct);
            }
        }, Ct)));

        long total = 0;
        foreach (var stream in streams)
        {
            var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.StreamVersion));
            total += events.Count;
        }

        Assert.Equal(8 * appendsPerWriter, total);
        var texts = new HashSet<string>();
        foreach (var stream in streams)
        {
            await foreach (var e in Store.ReadStreamAsync(stream, cancellationToken: Ct))
            {
                Assert.True(texts.Add(((NoteAdded)e.Data).Text), "no event may be stored twice");
            }
        }
    }

    [Fact]
    public async Task Retrying_an_append_with_the_same_event_ids_writes_nothing_and_returns_the_original_positions()
    {
        var stream = NewStream();
        var events = TestEvents.Notes(stream.Id, 3);
        var first = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);

        var retry = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(first.Positions, retry.Positions);
        Assert.Equal(3, retry.NextExpectedVersion);
        Assert.Equal(3, await CountEventsAsync(stream));
    }

    [Fact]
    public async Task Concurrent_retries_of_one_append_store_it_once()
    {
        var stream = NewStream();
        var events = TestEvents.Notes(stream.Id, 2);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct), Ct)));

        Assert.Single(results, r => !r.AlreadyAppended);
        Assert.All(results, r => Assert.Equal(results[0].Positions, r.Positions));
        Assert.Equal(2, await CountEventsAsync(stream));
    }

    [Fact]
    public async Task Reusing_event_ids_in_another_stream_is_a_typed_error_and_writes_nothing()
    {
        var stream = NewStream();
        var other = NewStream();
        var events = TestEvents.Notes(stream.Id, 2);
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);

        await Assert.ThrowsAsync<DuplicateEventIdException>(() =>
            Store.AppendToStreamAsync(other, "thing", ExpectedVersion.NoStream, events, Ct));
        // Only the second id is reused: the insert itself hits the unique index, and the whole append rolls back.
        await Assert.ThrowsAsync<DuplicateEventIdException>(() =>
            Store.AppendToStreamAsync(other, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(other.Id, "fresh")), events[1]], Ct));

        Assert.Equal(0, await CountEventsAsync(other));
        Assert.Null(await Store.GetStreamInfoAsync(other, Ct));
    }

    [Fact]
    public async Task A_multi_event_append_that_fails_part_way_leaves_nothing_behind()
    {
        var stream = NewStream();
        var taken = TestEvents.New(new NoteAdded("elsewhere", "already stored"));
        await Store.AppendToStreamAsync(NewStream(), "thing", ExpectedVersion.NoStream, [taken], Ct);
        var before = await CountEventsAsync();

        await Assert.ThrowsAsync<DuplicateEventIdException>(() => Store.AppendToStreamAsync(
            stream,
            "thing",
            ExpectedVersion.NoStream,
            [TestEvents.New(new ThingOpened(stream.Id, "first", Instant.FromUnixTimeSeconds(1))), TestEvents.New(new NoteAdded(stream.Id, "second")), taken],
            Ct));

        Assert.Equal(before, await CountEventsAsync());
        Assert.Null(await Store.GetStreamInfoAsync(stream, Ct));
    }

    [Fact]
    public async Task An_event_over_the_size_limit_is_refused_before_anything_is_written()
    {
        var store = CreateStore(TestEvents.Registry(), new EventStoreOptions { MaxEventSizeBytes = 4096 });
        var stream = NewStream();

        var error = await Assert.ThrowsAsync<EventTooLargeException>(() => store.AppendToStreamAsync(
            stream,
            "thing",
            ExpectedVersion.NoStream,
            [TestEvents.New(new NoteAdded(stream.Id, "small")), TestEvents.New(new NoteAdded(stream.Id, new string('x', 5000)))],
            Ct));

        Assert.Equal(4096, error.LimitBytes);
        Assert.True(error.SizeBytes > 5000);
        Assert.Equal("test.note-added.v1", error.EventType);
        Assert.Equal(0, await CountEventsAsync(stream));
    }

    public static TheoryData<string, string, string> BadStreamNames => new()
    {
        { "boston", "", "streamId" },
        { "boston", "   ", "streamId" },
        { "boston", new string('a', 201), "streamId" },
        { "boston", "line\nbreak", "streamId" },
        { "", "thing-1", "tenant" },
        { "bos ton", "thing-1", "tenant" },
        { "bos'; DROP TABLE eventcase.events; --", "thing-1", "tenant" },
        { new string('t', 65), "thing-1", "tenant" },
    };

    [Theory]
    [MemberData(nameof(BadStreamNames))]
    public async Task A_bad_stream_name_is_a_typed_error_naming_the_field_and_writes_nothing(string tenant, string id, string field)
    {
        var before = await CountEventsAsync();

        var error = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() =>
            Store.AppendToStreamAsync(new StreamName(tenant, id), "thing", ExpectedVersion.Any, TestEvents.Notes("x", 1), Ct));

        Assert.Equal(field, error.Field);
        Assert.Equal(before, await CountEventsAsync());
    }

    [Fact]
    public async Task Injection_strings_in_a_stream_id_are_stored_as_plain_text()
    {
        var stream = new StreamName("boston", "x'); DELETE FROM eventcase.events; --" + Guid.NewGuid());
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 1), Ct);

        var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);

        Assert.Single(events);
        Assert.True(await CountEventsAsync() >= 1);
    }

    [Fact]
    public async Task An_append_without_events_or_with_an_empty_or_repeated_event_id_is_refused()
    {
        var stream = NewStream();
        var repeated = TestEvents.New(new NoteAdded(stream.Id, "a"));

        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() =>
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, [], Ct));
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() =>
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, [new NewEvent(Guid.Empty, new NoteAdded(stream.Id, "a"), TestEvents.Actor)], Ct));
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() =>
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, [repeated, repeated], Ct));
        await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() =>
            Store.AppendToStreamAsync(stream, "", ExpectedVersion.Any, TestEvents.Notes(stream.Id, 1), Ct));

        Assert.Equal(0, await CountEventsAsync(stream));
    }

    [Fact]
    public async Task Appending_an_unregistered_event_type_is_a_typed_error()
    {
        var stream = NewStream();

        var error = await Assert.ThrowsAsync<UnknownEventTypeException>(() =>
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Any, [TestEvents.New(new NotRegistered("?"))], Ct));

        Assert.Equal(typeof(NotRegistered), error.ClrType);
        Assert.Equal(0, await CountEventsAsync(stream));
    }

    [Fact]
    public async Task The_same_stream_id_in_two_tenants_is_two_streams()
    {
        var id = "case-" + Guid.NewGuid().ToString("N");
        var boston = new StreamName("boston", id);
        var la = new StreamName("los-angeles", id);

        await Store.AppendToStreamAsync(boston, "thing", ExpectedVersion.NoStream, TestEvents.Notes(id, 2), Ct);
        await Store.AppendToStreamAsync(la, "thing", ExpectedVersion.NoStream, TestEvents.Notes(id, 1), Ct);

        var bostonEvents = await Store.ReadStreamAsync(boston, cancellationToken: Ct).ToListAsync(Ct);
        var laEvents = await Store.ReadStreamAsync(la, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal(2, bostonEvents.Count);
        Assert.Single(laEvents);
        Assert.All(bostonEvents, e => Assert.Equal("boston", e.Stream.Tenant));
        Assert.All(laEvents, e => Assert.Equal("los-angeles", e.Stream.Tenant));
        Assert.Equal(2, (await Store.GetStreamInfoAsync(boston, Ct))!.Version);
        Assert.Equal(1, (await Store.GetStreamInfoAsync(la, Ct))!.Version);
    }

    [Fact]
    public async Task Metadata_is_stored_with_every_event_and_read_back_whole()
    {
        var stream = NewStream();
        var metadata = new EventCase.EventStore.Metadata.EventMetadata("agent-42", "supervisor", "corr-9", "cause-3", "email", "citizen called back")
        {
            Extra = new Dictionary<string, string> { ["sourceFile"] = "boston.csv", ["sourceRow"] = "17" },
        };

        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(stream.Id, "x"), metadata)], Ct);
        var read = (await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct)).Single();

        Assert.Equal(metadata.ActorId, read.Metadata.ActorId);
        Assert.Equal(metadata.ActorRole, read.Metadata.ActorRole);
        Assert.Equal(metadata.CorrelationId, read.Metadata.CorrelationId);
        Assert.Equal(metadata.CausationId, read.Metadata.CausationId);
        Assert.Equal(metadata.Channel, read.Metadata.Channel);
        Assert.Equal(metadata.Reason, read.Metadata.Reason);
        Assert.Equal(metadata.Extra, read.Metadata.Extra);
    }

    [Fact]
    public async Task Metadata_without_an_actor_is_refused()
    {
        var stream = NewStream();

        var error = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.AppendToStreamAsync(
            stream, "thing", ExpectedVersion.Any, [new NewEvent(Guid.NewGuid(), new NoteAdded(stream.Id, "x"), new("", "agent"))], Ct));

        Assert.Equal("events[0].metadata", error.Field);
    }

    [Fact]
    public async Task An_append_inside_the_callers_transaction_commits_or_rolls_back_with_it()
    {
        var committed = NewStream();
        var rolledBack = NewStream();

        await using (var connection = await DataSource.OpenConnectionAsync(Ct))
        {
            await using (var transaction = await connection.BeginTransactionAsync(Ct))
            {
                await Store.AppendToStreamAsync(connection, transaction, rolledBack, "thing", ExpectedVersion.NoStream, TestEvents.Notes(rolledBack.Id, 2), Ct);
                await transaction.RollbackAsync(Ct);
            }

            await using (var transaction = await connection.BeginTransactionAsync(Ct))
            {
                await Store.AppendToStreamAsync(connection, transaction, committed, "thing", ExpectedVersion.NoStream, TestEvents.Notes(committed.Id, 2), Ct);
                await using var count = new NpgsqlCommand("SELECT count(*) FROM eventcase.events WHERE stream_id = $1", connection, transaction);
                count.Parameters.AddWithValue(committed.Id);
                Assert.Equal(2L, await count.ExecuteScalarAsync(Ct));
                await transaction.CommitAsync(Ct);
            }
        }

        Assert.Equal(0, await CountEventsAsync(rolledBack));
        Assert.Equal(2, await CountEventsAsync(committed));
    }

    [Fact]
    public async Task A_transaction_that_drew_its_id_before_locking_a_stream_a_younger_transaction_wrote_is_refused()
    {
        var first = NewStream();
        var contested = NewStream();
        await Store.AppendToStreamAsync(contested, "thing", ExpectedVersion.NoStream, TestEvents.Notes(contested.Id, 1), Ct);

        await using var connection = await DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        // The old transaction draws its id by appending to another stream first ...
        await Store.AppendToStreamAsync(connection, transaction, first, "thing", ExpectedVersion.NoStream, TestEvents.Notes(first.Id, 1), Ct);
        // ... then a younger transaction appends to the contested stream and commits ...
        await Store.AppendToStreamAsync(contested, "thing", ExpectedVersion.Any, TestEvents.Notes(contested.Id, 1), Ct);

        // ... so the old one may not follow it in that stream: its events would sort before the younger ones in the log.
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            Store.AppendToStreamAsync(connection, transaction, contested, "thing", ExpectedVersion.Any, TestEvents.Notes(contested.Id, 1), Ct));
        Assert.Equal(PostgresErrorCodes.SerializationFailure, error.SqlState);
    }
}
