using EventCase.EventStore.Projections.Testing;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

public sealed class ProjectionTesterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_tester_feeds_events_catches_the_projection_up_and_reads_its_rows_and_tables()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_a", Ct);
        var stream = new StreamName("boston", "case-7");

        await tester.AppendAsync(stream, new ThingOpened(stream.Id, "Pothole on Elm St", NodaTime.Instant.FromUtc(2026, 3, 2, 14, 0)), new NoteAdded(stream.Id, "crew sent"));
        await tester.CatchUpAsync(Ct);

        var row = Assert.Single(await tester.RowsAsync<NoteTally>(Ct));
        Assert.Equal(new[] { "Pothole on Elm St", "crew sent" }, new[] { row.Title, row.LastText });
        var entries = await tester.QueryAsync($"SELECT text, actor FROM {tester.Table("note_tally_entries")} WHERE row_key = $1", stream.Id);
        Assert.Equal("crew sent", Assert.Single(entries)["text"]);
        Assert.Equal("tester", entries[0]["actor"]);
        Assert.Equal(0, (await tester.StatusAsync(Ct)).LagEvents);
    }

    [Fact]
    public async Task A_rebuild_through_the_tester_gives_the_same_rows()
    {
        var tester = await ProjectionTester.CreateAsync(database.DataSource, TestEvents.Registry(), new NoteTallyProjection(), "tester_b", Ct);
        for (var i = 0; i < 30; i++)
        {
            await tester.AppendAsync(new StreamName("boston", $"c-{i % 4}"), new NoteAdded($"c-{i % 4}", $"n{i}"));
        }

        await tester.CatchUpAsync(Ct);
        var live = await tester.RowsAsync<NoteTally>(Ct);
        await tester.RebuildAsync(Ct);
        var rebuilt = await tester.RowsAsync<NoteTally>(Ct);

        Assert.Equal(live.Select(r => (r.ThingId, r.Notes, string.Join(",", r.Positions))), rebuilt.Select(r => (r.ThingId, r.Notes, string.Join(",", r.Positions))));
        Assert.Equal(30, (await tester.StatusAsync(Ct)).Rebuild!.Events);
    }
}
