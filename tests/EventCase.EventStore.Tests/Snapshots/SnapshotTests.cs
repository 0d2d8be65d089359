using System.Text;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Snapshots;

public sealed class SnapshotTests(DatabaseFixture database) : StoreTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Kind = "thing-state.v1";

    private static byte[] State(string text) => Encoding.UTF8.GetBytes($$"""{"text":"{{text}}"}""");

    private async Task<StreamName> StreamWithNotesAsync(int count)
    {
        var stream = NewStream();
        for (var i = 1; i <= count; i++)
        {
            await Store.AppendToStreamAsync(stream, "thing", ExpectedVersion.Exactly(i - 1), [TestEvents.New(new NoteAdded(stream.Id, $"note {i}"))], Ct);
        }

        return stream;
    }

    [Fact]
    public async Task Without_a_snapshot_the_read_returns_every_event_in_order()
    {
        var stream = await StreamWithNotesAsync(3);

        var read = await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct);

        Assert.Null(read.Snapshot);
        Assert.Equal([1L, 2L, 3L], read.Events.Select(e => e.StreamVersion));
        Assert.Equal(["note 1", "note 2", "note 3"], read.Events.Select(e => ((NoteAdded)e.Data).Text));
    }

    [Fact]
    public async Task With_a_snapshot_the_read_returns_it_and_only_the_events_after_it()
    {
        var stream = await StreamWithNotesAsync(5);

        var stored = await Store.SaveSnapshotAsync(stream, Kind, 3, State("after three"), Ct);
        var read = await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct);

        Assert.True(stored);
        Assert.NotNull(read.Snapshot);
        Assert.Equal(3, read.Snapshot.Version);
        Assert.Equal(Kind, read.Snapshot.Kind);
        Assert.Equal("""{"text": "after three"}""", Encoding.UTF8.GetString(read.Snapshot.Utf8State));
        Assert.Equal([4L, 5L], read.Events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task A_snapshot_at_the_head_of_the_stream_leaves_no_events_to_read()
    {
        var stream = await StreamWithNotesAsync(2);
        await Store.SaveSnapshotAsync(stream, Kind, 2, State("all"), Ct);

        var read = await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct);

        Assert.Equal(2, read.Snapshot!.Version);
        Assert.Empty(read.Events);
    }

    [Fact]
    public async Task An_older_snapshot_never_replaces_a_newer_one()
    {
        var stream = await StreamWithNotesAsync(6);
        await Store.SaveSnapshotAsync(stream, Kind, 5, State("five"), Ct);

        var older = await Store.SaveSnapshotAsync(stream, Kind, 2, State("two"), Ct);
        var newer = await Store.SaveSnapshotAsync(stream, Kind, 6, State("six"), Ct);
        var read = await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct);

        Assert.False(older);
        Assert.True(newer);
        Assert.Equal(6, read.Snapshot!.Version);
        Assert.Empty(read.Events);
    }

    [Fact]
    public async Task A_snapshot_of_another_kind_is_not_read()
    {
        var stream = await StreamWithNotesAsync(3);
        await Store.SaveSnapshotAsync(stream, "thing-state.v0", 3, State("old shape"), Ct);

        var read = await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct);

        Assert.Null(read.Snapshot);
        Assert.Equal(3, read.Events.Count);
    }

    [Fact]
    public async Task A_snapshot_of_one_stream_is_not_read_for_another()
    {
        var first = await StreamWithNotesAsync(2);
        var second = await StreamWithNotesAsync(2);
        await Store.SaveSnapshotAsync(first, Kind, 2, State("first"), Ct);

        var read = await Store.ReadStreamFromSnapshotAsync(second, Kind, Ct);

        Assert.Null(read.Snapshot);
        Assert.Equal(2, read.Events.Count);
    }

    [Fact]
    public async Task A_snapshot_with_a_bad_kind_version_or_state_is_refused_naming_the_argument()
    {
        var stream = await StreamWithNotesAsync(1);

        var noKind = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.SaveSnapshotAsync(stream, " ", 1, State("x"), Ct));
        var longKind = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.SaveSnapshotAsync(stream, new string('k', 101), 1, State("x"), Ct));
        var noVersion = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.SaveSnapshotAsync(stream, Kind, 0, State("x"), Ct));
        var empty = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.SaveSnapshotAsync(stream, Kind, 1, ReadOnlyMemory<byte>.Empty, Ct));
        var readNoKind = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.ReadStreamFromSnapshotAsync(stream, "", Ct));
        var readDataNoKind = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => Store.ReadStreamDataFromSnapshotAsync(stream, "", Ct));

        Assert.Equal("kind", noKind.Field);
        Assert.Equal("kind", longKind.Field);
        Assert.Equal("version", noVersion.Field);
        Assert.Equal("utf8State", empty.Field);
        Assert.Equal("kind", readNoKind.Field);
        Assert.Equal("kind", readDataNoKind.Field);
        Assert.Null((await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct)).Snapshot);
    }

    [Fact]
    public async Task The_read_for_a_fold_returns_the_same_snapshot_versions_types_and_data_as_the_full_read()
    {
        var stream = await StreamWithNotesAsync(5);
        var snapshots = new long?[] { null, 3, 5 };

        foreach (var version in snapshots)
        {
            if (version is { } v)
            {
                await Store.SaveSnapshotAsync(stream, Kind, v, State($"at {v}"), Ct);
            }

            var full = await Store.ReadStreamFromSnapshotAsync(stream, Kind, Ct);
            var data = await Store.ReadStreamDataFromSnapshotAsync(stream, Kind, Ct);

            Assert.Equal(full.Snapshot?.Version, data.Snapshot?.Version);
            Assert.Equal(full.Snapshot?.Utf8State, data.Snapshot?.Utf8State);
            Assert.Equal(
                full.Events.Select(e => (e.Position, e.StreamVersion, e.EventType, e.Data)),
                data.Events.Select(e => (e.Position, e.StreamVersion, e.EventType, e.Data)));
            Assert.Equal(5 - (version ?? 0), data.Events.Count);
        }
    }

    [Fact]
    public async Task The_read_for_a_fold_of_a_stream_that_does_not_exist_is_empty()
    {
        var read = await Store.ReadStreamDataFromSnapshotAsync(NewStream(), Kind, Ct);

        Assert.Null(read.Snapshot);
        Assert.Empty(read.Events);
    }
}
