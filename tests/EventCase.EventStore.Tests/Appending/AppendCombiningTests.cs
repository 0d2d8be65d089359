using EventCase.EventStore.Projections;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Appending;

/// <summary>
/// Group commit: appends that arrive while another is being written wait, and are then written together. Each test
/// holds one stream's lock from another connection, so that an append to it is being written (and waits) while the
/// appends under test arrive: they queue deterministically, and are written as one batch once the lock is released.
/// </summary>
public sealed class AppendCombiningTests(DatabaseFixture database) : StoreTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Appends_that_arrive_while_another_is_written_are_written_together_in_one_transaction_each_with_its_own_result()
    {
        var streams = Enumerable.Range(0, 10).Select(_ => NewStream()).ToArray();

        var (first, queued) = await WhileOneAppendIsWrittenAsync(Store, "eventcase", () =>
            streams.Select(s => Store.AppendToStreamAsync(s, "thing", ExpectedVersion.NoStream, TestEvents.Notes(s.Id, 2), Ct)).ToArray());

        var results = await Task.WhenAll(queued);
        Assert.All(results, r => Assert.Equal(2, r.NextExpectedVersion));
        Assert.Equal(streams, results.Select(r => r.Stream));
        Assert.Equal(20, results.SelectMany(r => r.Positions).Distinct().Count());
        var transactions = await TransactionsOfAsync(Store, streams);
        Assert.Single(transactions);
        Assert.DoesNotContain((await ReadAsync(Store, first.Stream))[0].TransactionId, transactions);
        foreach (var stream in streams)
        {
            Assert.Equal([1L, 2L], (await ReadAsync(Store, stream)).Select(e => e.StreamVersion));
        }
    }

    [Fact]
    public async Task Every_outcome_an_append_can_have_reaches_its_own_caller_from_one_combined_batch()
    {
        var existing = NewStream();
        var retried = NewStream();
        var owner = NewStream();
        await Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.NoStream, TestEvents.Notes(existing.Id, 1), Ct);
        var original = TestEvents.New(new NoteAdded(retried.Id, "once"));
        var first = await Store.AppendToStreamAsync(retried, "thing", ExpectedVersion.NoStream, [original], Ct);
        var taken = TestEvents.New(new NoteAdded(owner.Id, "mine"));
        await Store.AppendToStreamAsync(owner, "thing", ExpectedVersion.NoStream, [taken], Ct);
        var fresh = NewStream();
        var anyVersion = NewStream();
        var missing = NewStream();
        var stale = NewStream();
        await Store.AppendToStreamAsync(stale, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stale.Id, 2), Ct);
        var clash = NewStream();

        var (_, queued) = await WhileOneAppendIsWrittenAsync(Store, "eventcase", () =>
        [
            Store.AppendToStreamAsync(fresh, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(fresh.Id, "new"))], Ct),
            Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.Exactly(1), [TestEvents.New(new NoteAdded(existing.Id, "second"))], Ct),
            Store.AppendToStreamAsync(retried, "thing", ExpectedVersion.NoStream, [original], Ct),
            Store.AppendToStreamAsync(anyVersion, "thing", ExpectedVersion.Any, [TestEvents.New(new NoteAdded(anyVersion.Id, "any"))], Ct),
            Store.AppendToStreamAsync(missing, "thing", ExpectedVersion.StreamExists, [TestEvents.New(new NoteAdded(missing.Id, "nowhere"))], Ct),
            Store.AppendToStreamAsync(stale, "thing", ExpectedVersion.Exactly(1), [TestEvents.New(new NoteAdded(stale.Id, "late"))], Ct),
            Store.AppendToStreamAsync(clash, "thing", ExpectedVersion.NoStream, [new NewEvent(taken.EventId, new NoteAdded(clash.Id, "not mine"), TestEvents.Actor)], Ct),
        ]);

        Assert.Equal(1, (await queued[0]).NextExpectedVersion);
        Assert.Equal(2, (await queued[1]).NextExpectedVersion);
        var retry = await queued[2];
        Assert.True(retry.AlreadyAppended);
        Assert.Equal(first.Positions, retry.Positions);
        Assert.Equal(1, retry.NextExpectedVersion);
        Assert.Equal(1, (await queued[3]).NextExpectedVersion);
        Assert.Equal(0, (await Assert.ThrowsAsync<WrongExpectedVersionException>(() => queued[4])).ActualVersion);
        Assert.Equal(2, (await Assert.ThrowsAsync<WrongExpectedVersionException>(() => queued[5])).ActualVersion);
        await Assert.ThrowsAsync<DuplicateEventIdException>(() => queued[6]);

        // Written: in one transaction, the stream rows moved, the chains intact. Refused: nothing.
        var written = await TransactionsOfAsync(Store, [fresh, anyVersion]);
        written.UnionWith(await TransactionsOfAsync(Store, [existing], fromVersion: 2));
        Assert.Single(written);
        Assert.Equal(2, (await Store.GetStreamInfoAsync(existing, Ct))!.Version);
        foreach (var stream in new[] { fresh, existing, anyVersion, retried })
        {
            Assert.True((await new EventCase.EventStore.Auditing.AuditVerifier(Store).VerifyStreamAsync(stream, cancellationToken: Ct)).IsIntact);
        }

        Assert.Equal(1, await CountEventsAsync(retried));
        Assert.Equal(0, await CountEventsAsync(missing));
        Assert.Equal(2, await CountEventsAsync(stale));
        Assert.Equal(0, await CountEventsAsync(clash));
        Assert.Null(await Store.GetStreamInfoAsync(clash, Ct));
    }

    [Fact]
    public async Task In_a_combined_batch_an_append_at_a_wrong_expected_version_is_refused_and_the_others_are_written()
    {
        var existing = NewStream();
        await Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.NoStream, TestEvents.Notes(existing.Id, 3), Ct);
        var fresh = Enumerable.Range(0, 3).Select(_ => NewStream()).ToArray();

        var (_, queued) = await WhileOneAppendIsWrittenAsync(Store, "eventcase", () =>
        [
            .. fresh.Select(s => Store.AppendToStreamAsync(s, "thing", ExpectedVersion.NoStream, TestEvents.Notes(s.Id, 1), Ct)),
            Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.Exactly(1), TestEvents.Notes(existing.Id, 1), Ct),
        ]);

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => queued[^1]);
        Assert.Equal(3, error.ActualVersion);
        Assert.Equal(3, await CountEventsAsync(existing));
        Assert.All(await Task.WhenAll(queued[..^1]), r => Assert.Equal(1, r.NextExpectedVersion));
        Assert.Single(await TransactionsOfAsync(Store, fresh));
    }

    [Fact]
    public async Task A_combined_batch_that_fails_as_a_whole_is_written_again_one_by_one_so_that_only_the_culprit_fails()
    {
        var owner = NewStream();
        var taken = TestEvents.Notes(owner.Id, 2);
        await Store.AppendToStreamAsync(owner, "thing", ExpectedVersion.NoStream, taken, Ct);
        var fresh = Enumerable.Range(0, 3).Select(_ => NewStream()).ToArray();
        var culprit = NewStream();
        // The second event's id is another stream's: the insert itself fails, which aborts the batch's transaction.
        NewEvent[] reused = [TestEvents.New(new NoteAdded(culprit.Id, "mine")), new(taken[1].EventId, new NoteAdded(culprit.Id, "not mine"), TestEvents.Actor)];

        var (_, queued) = await WhileOneAppendIsWrittenAsync(Store, "eventcase", () =>
        [
            Store.AppendToStreamAsync(culprit, "thing", ExpectedVersion.NoStream, reused, Ct),
            .. fresh.Select(s => Store.AppendToStreamAsync(s, "thing", ExpectedVersion.NoStream, TestEvents.Notes(s.Id, 1), Ct)),
        ]);

        await Assert.ThrowsAsync<DuplicateEventIdException>(() => queued[0]);
        Assert.All(await Task.WhenAll(queued[1..]), r => Assert.Equal(1, r.NextExpectedVersion));
        Assert.Equal(0, await CountEventsAsync(culprit));
        // Written again one by one: a transaction each.
        Assert.Equal(3, (await TransactionsOfAsync(Store, fresh)).Count);
    }

    [Fact]
    public async Task Appends_to_one_stream_never_share_a_batch_and_keep_the_order_they_arrived_in()
    {
        var stream = NewStream();
        var other = NewStream();

        var (_, queued) = await WhileOneAppendIsWrittenAsync(Store, "eventcase", () =>
        [
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct),
            Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(2), [TestEvents.New(new NoteAdded(stream.Id, "second append"))], Ct),
            Store.AppendToStreamAsync(other, "thing", ExpectedVersion.NoStream, TestEvents.Notes(other.Id, 1), Ct),
        ]);

        var results = await Task.WhenAll(queued);
        Assert.Equal([2L, 3L, 1L], results.Select(r => r.NextExpectedVersion));
        var events = await ReadAsync(Store, stream);
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.StreamVersion));
        Assert.Equal("second append", ((NoteAdded)events[2].Data).Text);
        Assert.NotEqual(events[0].TransactionId, events[2].TransactionId);
        Assert.Equal(events[0].TransactionId, (await ReadAsync(Store, other))[0].TransactionId);
    }

    [Fact]
    public async Task A_waiting_append_whose_caller_gives_up_is_not_written()
    {
        var abandoned = NewStream();
        var kept = NewStream();
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var (_, queued) = await WhileOneAppendIsWrittenAsync(Store, "eventcase", () =>
        {
            Task<AppendResult>[] appends =
            [
                Store.AppendToStreamAsync(abandoned, "thing", ExpectedVersion.NoStream, TestEvents.Notes(abandoned.Id, 1), giveUp.Token),
                Store.AppendToStreamAsync(kept, "thing", ExpectedVersion.NoStream, TestEvents.Notes(kept.Id, 1), Ct),
            ];
            giveUp.Cancel();
            return appends;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued[0]);
        Assert.Equal(1, (await queued[1]).NextExpectedVersion);
        Assert.Equal(0, await CountEventsAsync(abandoned));
    }

    [Fact]
    public async Task With_combining_turned_off_every_append_has_a_transaction_of_its_own()
    {
        var store = CreateStore(TestEvents.Registry(), new EventStoreOptions { CombineConcurrentAppends = false });
        var streams = Enumerable.Range(0, 4).Select(_ => NewStream()).ToArray();

        var (_, queued) = await WhileOneAppendIsWrittenAsync(store, "eventcase", () =>
            streams.Select(s => store.AppendToStreamAsync(s, "thing", ExpectedVersion.NoStream, TestEvents.Notes(s.Id, 1), Ct)).ToArray());

        await Task.WhenAll(queued);
        Assert.Equal(4, (await TransactionsOfAsync(store, streams)).Count);
    }

    [Fact]
    public async Task In_a_combined_batch_an_inline_projection_failing_on_one_append_fails_that_append_alone()
    {
        var schema = "c_" + Guid.NewGuid().ToString("N")[..12];
        var store = new PostgresEventStore(
            DataSource, new EventSerializer(TestEvents.Registry()), new EventStoreOptions { Schema = schema },
            [new NoteTallyProjection(ProjectionMode.Inline) { FailOnText = "poison" }]);
        await store.MigrateAsync(Ct);
        var fine = Enumerable.Range(0, 3).Select(_ => NewStream()).ToArray();
        var poisoned = NewStream();

        var (_, queued) = await WhileOneAppendIsWrittenAsync(store, schema, () =>
        [
            .. fine.Select(s => store.AppendToStreamAsync(s, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(s.Id, "fine"))], Ct)),
            store.AppendToStreamAsync(poisoned, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(poisoned.Id, "poison"))], Ct),
        ]);

        await Assert.ThrowsAsync<ProjectionFailedException>(() => queued[^1]);
        Assert.All(await Task.WhenAll(queued[..^1]), r => Assert.Equal(1, r.NextExpectedVersion));
        await using var rows = DataSource.CreateCommand($"SELECT count(*) FROM {schema}.note_tally");
        Assert.Equal(4L, await rows.ExecuteScalarAsync(Ct)); // the three fine ones and the blocked first append's
        await using var events = DataSource.CreateCommand($"SELECT count(*) FROM {schema}.events WHERE stream_id = $1");
        events.Parameters.AddWithValue(poisoned.Id);
        Assert.Equal(0L, await events.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task A_combined_batch_of_appends_to_existing_streams_brings_every_streams_inline_row_up_to_date()
    {
        var schema = "c_" + Guid.NewGuid().ToString("N")[..12];
        var store = new PostgresEventStore(
            DataSource, new EventSerializer(TestEvents.Registry()), new EventStoreOptions { Schema = schema }, [new NoteTallyProjection(ProjectionMode.Inline)]);
        await store.MigrateAsync(Ct);
        var streams = Enumerable.Range(0, 6).Select(_ => NewStream()).ToArray();
        foreach (var stream in streams)
        {
            await store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, 2), Ct);
        }

        // Each queued append loads its stream's row: the batch loads them all in one statement and writes them in another.
        var (_, queued) = await WhileOneAppendIsWrittenAsync(store, schema, () =>
            streams.Select((s, i) => store.AppendToStreamAsync(s, "thing", ExpectedVersion.Exactly(2), TestEvents.Notes(s.Id, i + 1), Ct)).ToArray());

        var results = await Task.WhenAll(queued);
        Assert.Single(await TransactionsOfAsync(store, streams, fromVersion: 3));
        await using var rows = DataSource.CreateCommand($"SELECT row_key, notes FROM {schema}.note_tally WHERE row_key = ANY ($1)");
        rows.Parameters.AddWithValue(streams.Select(s => s.Id).ToArray());
        var notes = new Dictionary<string, int>();
        await using (var reader = await rows.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                notes[reader.GetString(0)] = reader.GetInt32(1);
            }
        }

        Assert.Equal(streams.Select((s, i) => (s.Id, 2 + i + 1)).ToDictionary(), notes);
        Assert.Equal(streams.Select((_, i) => 2L + i + 1), results.Select(r => r.NextExpectedVersion));
    }

    /// <summary>
    /// Starts an append to a stream whose lock another connection holds, waits until it is blocked inside the database,
    /// then starts the appends under test (they queue behind it as they are called) and releases the lock.
    /// </summary>
    private async Task<(AppendResult First, Task<AppendResult>[] Queued)> WhileOneAppendIsWrittenAsync(
        PostgresEventStore store, string schema, Func<Task<AppendResult>[]> arrive)
    {
        var blocked = NewStream();
        Task<AppendResult>[] queued;
        Task<AppendResult> first;
        await using (var holder = await DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await holder.BeginTransactionAsync(Ct))
        {
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({schema}.stream_lock_key($1, $2))", holder, transaction))
            {
                take.Parameters.AddWithValue(blocked.Tenant);
                take.Parameters.AddWithValue(blocked.Id);
                await take.ExecuteNonQueryAsync(Ct);
            }

            first = store.AppendToStreamAsync(blocked, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(blocked.Id, "first"))], Ct);
            await WaitUntilAnAppendWaitsOnALockAsync(holder.ProcessID);
            queued = arrive();
            Assert.False(first.IsCompleted);
            await transaction.RollbackAsync(Ct);
        }

        return (await first, queued);
    }

    private async Task WaitUntilAnAppendWaitsOnALockAsync(int holderPid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var command = DataSource.CreateCommand(
                "SELECT count(*) FROM pg_locks l WHERE NOT l.granted AND l.locktype = 'advisory' AND $1 = ANY (pg_blocking_pids(l.pid))");
            command.Parameters.AddWithValue(holderPid);
            if ((long)(await command.ExecuteScalarAsync(Ct))! > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the first append never waited on the held stream lock");
            await Task.Delay(10, Ct);
        }
    }

    private static async Task<List<RecordedEvent>> ReadAsync(PostgresEventStore store, StreamName stream)
    {
        var events = new List<RecordedEvent>();
        await foreach (var recorded in store.ReadStreamAsync(stream, ReadStreamOptions.All, Ct))
        {
            events.Add(recorded);
        }

        return events;
    }

    private static async Task<HashSet<ulong>> TransactionsOfAsync(PostgresEventStore store, IEnumerable<StreamName> streams, long fromVersion = 1)
    {
        var transactions = new HashSet<ulong>();
        foreach (var stream in streams)
        {
            transactions.UnionWith((await ReadAsync(store, stream)).Where(e => e.StreamVersion >= fromVersion).Select(e => e.TransactionId));
        }

        return transactions;
    }
}
