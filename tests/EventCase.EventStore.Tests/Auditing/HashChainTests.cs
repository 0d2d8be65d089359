using EventCase.EventStore.Auditing;
using EventCase.EventStore.Schema;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Auditing;

public sealed class HashChainTests(DatabaseFixture database) : AuditTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Each_appended_event_hashes_the_previous_hash_and_its_canonical_bytes_and_the_first_chains_from_zero()
    {
        var stream = await StreamWithNotesAsync(5);

        var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);

        var previous = AuditHash.Zero;
        foreach (var recorded in events)
        {
            var canonical = await CanonicalAsync(stream, recorded.StreamVersion);
            var expected = AuditHash.Compute([.. previous.ToArray(), .. canonical.ToBytes()]);
            Assert.Equal(expected, recorded.Hash);
            Assert.Equal(expected, canonical.ComputeHash(previous));
            previous = expected;
        }
    }

    [Fact]
    public async Task Events_read_from_the_global_log_carry_the_same_hashes_as_from_their_stream()
    {
        var stream = await StreamWithNotesAsync(3);
        var fromStream = await Store.ReadStreamAsync(stream, ReadStreamOptions.All, Ct).ToListAsync(Ct);

        var fromLog = new List<RecordedEvent>();
        var checkpoint = LogPosition.Start;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (fromLog.Count(e => e.Stream == stream) < 3)
        {
            var batch = await Store.ReadLogAsync(checkpoint, 5_000, cancellationToken: Ct);
            fromLog.AddRange(batch.Events);
            checkpoint = batch.Checkpoint;
            if (batch.RowsRead == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the log did not become readable");
                await Task.Delay(20, Ct);
            }
        }

        Assert.All(fromStream, e => Assert.NotNull(e.Hash));
        Assert.Equal(fromStream.Select(e => e.Hash), fromLog.Where(e => e.Stream == stream).Select(e => e.Hash));
    }

    [Fact]
    public async Task The_stream_row_keeps_the_last_events_hash_as_its_head()
    {
        var stream = await StreamWithNotesAsync(4);

        var info = await Store.GetStreamInfoAsync(stream, Ct);
        var last = await Store.ReadStreamAsync(stream, ReadStreamOptions.All, Ct).LastAsync(Ct);

        Assert.NotNull(info?.HeadHash);
        Assert.Equal(last.Hash, AuditHash.FromBytes(info.HeadHash));
    }

    [Fact]
    public async Task An_idempotent_retry_leaves_the_chain_and_the_head_as_they_were()
    {
        var stream = NewStream(NewTenant());
        var events = TestEvents.Notes(stream.Id, 3);
        await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);
        var before = (await Store.GetStreamInfoAsync(stream, Ct))!.HeadHash;

        var retry = await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, events, Ct);

        Assert.True(retry.AlreadyAppended);
        Assert.Equal(before, (await Store.GetStreamInfoAsync(stream, Ct))!.HeadHash);
        Assert.True((await VerifyAsync(stream)).IsIntact);
    }

    [Fact]
    public void The_canonical_bytes_are_length_prefixed_fields_in_the_documented_order()
    {
        var canonical = new CanonicalEvent("ab", "é", 2, Guid.Parse("00112233-4455-6677-8899-aabbccddeeff"), "t", 1_000_000, "{}", "[]");

        var bytes = canonical.ToBytes();

        byte[] expected =
        [
            1,                                              // encoding version
            0, 0, 0, 2, (byte)'a', (byte)'b',               // tenant
            0, 0, 0, 2, 0xC3, 0xA9,                         // stream id, UTF-8
            0, 0, 0, 0, 0, 0, 0, 2,                         // version
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, // event id, RFC 4122 order
            0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
            0, 0, 0, 1, (byte)'t',                          // type
            0, 0, 0, 0, 0, 0x0F, 0x42, 0x40,                // recorded at: 1,000,000 µs
            0, 0, 0, 2, (byte)'{', (byte)'}',               // data
            0, 0, 0, 2, (byte)'[', (byte)']',               // metadata
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public async Task The_database_and_the_library_hash_non_ascii_json_alike()
    {
        var stream = NewStream(NewTenant());
        await Store.AppendToStreamAsync(
            stream, "thing", ExpectedVersion.NoStream, [TestEvents.New(new NoteAdded(stream.Id, "Müller said: \"ça va?\"\n😀 \\ done"))], Ct);

        var canonical = await CanonicalAsync(stream, 1);

        Assert.Equal(AuditHash.FromBytes(await StoredHashAsync(stream, 1)), canonical.ComputeHash(AuditHash.Zero));
        Assert.True((await VerifyAsync(stream)).IsIntact);
    }

    [Fact]
    public async Task Migrating_a_store_written_before_the_hash_chain_chains_its_existing_events()
    {
        var options = new EventStoreOptions { Schema = "before_chain" };
        await SchemaMigrator.MigrateAsync(
            DataSource,
            options.Schema,
            PostgresEventStore.MigrationSet,
            PostgresEventStore.Migrations.Where(m => m.Version < 3).ToList(),
            new Dictionary<string, string> { ["__channel__"] = options.NotificationChannel },
            Ct);
        var store = CreateStore(TestEvents.Registry(), options);
        var old = NewStream(NewTenant());
        await store.AppendToStreamAsync(old, "thing", ExpectedVersion.NoStream, TestEvents.Notes(old.Id, 3), Ct);
        Assert.Null((await store.GetStreamInfoAsync(old, Ct))!.HeadHash);

        await store.MigrateAsync(Ct);
        await store.AppendToStreamAsync(old, "thing", ExpectedVersion.Exactly(3), TestEvents.Notes(old.Id, 2), Ct);

        var report = await new AuditVerifier(store).VerifyAllAsync(cancellationToken: Ct);
        Assert.True(report.IsIntact, string.Join("; ", report.Findings));
        Assert.Equal(5, report.EventsChecked);
    }
}
