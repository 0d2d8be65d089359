using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// Projections that declare they never read metadata (<see cref="Projection.ReadsMetadata"/>) are fed from log reads
/// that leave the metadata column out; one that declares so wrongly fails loudly; a pass shared with a projection that
/// reads metadata reads it for all.
/// </summary>
public sealed class MetadataLeftOutTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private static ProjectionDaemonOptions Options() => new()
    {
        NodeId = "node-a",
        BatchSize = 20,
        PollInterval = TimeSpan.FromMilliseconds(200),
        OwnershipRetryInterval = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task A_projection_that_never_reads_metadata_is_rebuilt_and_kept_up_to_date_from_reads_without_it()
    {
        var plain = await CreateStoreAsync();
        for (var i = 0; i < 60; i++)
        {
            await AppendNotesAsync(plain, new StreamName("boston", $"old-{i % 5}"), $"old {i}");
        }

        var projection = new NoteTallyProjection { RecordsActors = false };
        var store = await CreateStoreAsync(null, projection);
        await using var daemon = new DaemonHost(store, Options());
        await daemon.StartAsync();
        await CaughtUpAsync(store);
        for (var i = 0; i < 30; i++)
        {
            await AppendNotesAsync(store, new StreamName("boston", $"new-{i % 3}"), $"new {i}");
        }

        await CaughtUpAsync(store);

        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
        Assert.Equal(90, await CountAsync($"SELECT count(*) FROM {Schema}.note_tally_entries"));
        // Every event it was given, by the rebuild and by the live path, came without its metadata.
        Assert.Equal(0, projection.EventsWithMetadata);
        Assert.True(projection.EventsWithoutMetadata >= 90, $"{projection.EventsWithoutMetadata} events applied");
    }

    [Fact]
    public async Task A_projection_that_declares_it_never_reads_metadata_but_does_fails_at_its_first_event_saying_so()
    {
        var projection = new NoteTallyProjection { DeclaresMetadata = false };
        var store = await CreateStoreAsync(null, projection);
        await using var daemon = new DaemonHost(store, Options());
        await daemon.StartAsync();
        var first = await AppendNotesAsync(store, new StreamName("boston", "t-1"), "the first note");

        await WaitUntilAsync(async () => (await StatusAsync(store)).State == ProjectionStates.Failed, "the projection failed");

        var failure = (await StatusAsync(store)).Failure!;
        Assert.Equal(first.Positions[0], failure.Position);
        Assert.Contains("without its metadata", failure.Error, StringComparison.Ordinal);
        Assert.Contains("ReadsMetadata", failure.Error, StringComparison.Ordinal);
        Assert.Empty(await RowsAsync());
    }

    [Fact]
    public async Task A_pass_that_rebuilds_a_projection_reading_metadata_beside_one_that_does_not_reads_it_for_both()
    {
        var plain = await CreateStoreAsync();
        for (var i = 0; i < 40; i++)
        {
            await AppendNotesAsync(plain, new StreamName("boston", $"old-{i % 4}"), $"old {i}");
        }

        var reading = new NoteTallyProjection(name: "with_actors");
        var notReading = new NoteTallyProjection(name: "without_actors") { RecordsActors = false };
        var store = await CreateStoreAsync(null, reading, notReading);
        await using var daemon = new DaemonHost(store, Options());
        await daemon.StartAsync();
        await CaughtUpAsync(store, "with_actors");
        await CaughtUpAsync(store, "without_actors");

        var expected = NoteTallyProjection.Expected(await WholeLogAsync(store));
        AssertSameRows(expected, await RowsAsync("with_actors"));
        AssertSameRows(expected, await RowsAsync("without_actors"));
        Assert.Equal(40, await CountAsync($"SELECT count(*) FROM {Schema}.with_actors_entries WHERE actor = '{TestEvents.Actor.ActorId}'"));
        Assert.Equal(0, reading.EventsWithoutMetadata);
    }

    [Fact]
    public async Task An_event_read_without_its_metadata_says_so_when_shown_and_when_asked_for_it()
    {
        var store = await CreateStoreAsync();
        await AppendNotesAsync(store, new StreamName("boston", "t-1"), "a note");
        await using var connection = await Database.DataSource.OpenConnectionAsync(Ct);

        // The log is readable once no older transaction on the server (another test class's) is still open.
        await WholeLogAsync(store);

        var without = (await store.ReadLogAsync(connection, LogPosition.Start, 10, _ => true, withMetadata: false, Ct)).Events.Single();
        var with = (await store.ReadLogAsync(connection, LogPosition.Start, 10, _ => true, withMetadata: true, Ct)).Events.Single();

        Assert.False(without.MetadataRead);
        Assert.True(with.MetadataRead);
        Assert.Equal(TestEvents.Actor, with.Metadata);
        Assert.Contains("Metadata = (not read)", without.ToString(), StringComparison.Ordinal);
        Assert.Contains("ReadsMetadata", Assert.Throws<InvalidOperationException>(() => without.Metadata).Message, StringComparison.Ordinal);
        // Everything else is read alike, and the two are not equal: one lacks what the other has.
        Assert.Equal((with.Position, with.EventId, with.Data, with.Hash), (without.Position, without.EventId, without.Data, without.Hash));
        Assert.NotEqual(with, without);
    }
}
