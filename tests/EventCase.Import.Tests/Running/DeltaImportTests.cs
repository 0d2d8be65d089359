using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>Importing a newer export of the same source: cases that moved on gain their new events, cases worked on
/// here since are left as they are, and nothing is written twice.</summary>
public sealed class DeltaImportTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    private const string Monday = """
        id,created,updated,closed,type,state,via,same_as,where
        B1,2026-04-01 09:00:00,,,Street lights,new,web,,
        B2,2026-04-01 10:00:00,,,Noise,new,web,,
        B3,2026-04-01 11:00:00,2026-04-02 12:00:00,2026-04-02 12:00:00,Noise,done,web,,
        """;

    // A day later: B1 and B2 were closed in the source, B3 is as it was, B4 is new.
    private const string Tuesday = """
        id,created,updated,closed,type,state,via,same_as,where
        B1,2026-04-01 09:00:00,2026-04-03 08:00:00,2026-04-03 08:00:00,Street lights,done,web,,
        B2,2026-04-01 10:00:00,2026-04-03 09:00:00,2026-04-03 09:00:00,Noise,done,web,,
        B3,2026-04-01 11:00:00,2026-04-02 12:00:00,2026-04-02 12:00:00,Noise,done,web,,
        B4,2026-04-02 15:00:00,,,Noise,new,web,,
        """;

    [Fact]
    public async Task A_newer_export_appends_what_cases_gained_and_leaves_cases_worked_on_here_as_they_are()
    {
        var tenant = NewAgency("springfield");
        var mapping = ImportMapping.Parse(GenericSourceImportTests.MappingJson);
        var monday = await ImportCsvAsync(Monday, mapping, tenant);
        var b1Before = await CaseEventsAsync(tenant, "spr-B1");

        // An agent adds a note to B2 after the first import.
        var b2 = new CaseId("spr-B2");
        var b2Version = (await CaseEventsAsync(tenant, b2.Value)).Count;
        await Store.AppendToStreamAsync(CaseStreams.For(tenant, b2), CaseStreams.StreamType, ExpectedVersion.Exactly(b2Version),
            [new NewEvent(CaseEventIds.New(), new NoteAdded(b2, NoteVisibility.Internal, "Called the caller back.", Instant.FromUtc(2026, 4, 2, 8, 0)), EventMetadata.System())], Ct);
        var eventsBefore = await EventCountAsync(tenant);

        var tuesday = await ImportCsvAsync(Tuesday, mapping, tenant);
        var again = await ImportCsvAsync(Tuesday, mapping, tenant);

        Assert.Equal((3L, 3L), (monday.RowsRead, monday.Imported + monday.Flagged));
        Assert.Equal((4L, 1L, 1L, 1L), (tuesday.RowsRead, tuesday.Updated, tuesday.Changed, tuesday.AlreadyImported));
        Assert.Equal(1L, tuesday.Imported + tuesday.Flagged);
        Assert.Equal(["B2"], tuesday.ChangedSourceIds);

        // B1 kept its events and gained the closing ones after them; B2 is as the agent left it.
        var b1 = await CaseEventsAsync(tenant, "spr-B1");
        Assert.Equal(b1Before.Select(e => e.EventId), b1.Take(b1Before.Count).Select(e => e.EventId));
        Assert.Equal(CaseStatus.Closed, Fold(b1).Status);
        Assert.True(Fold(await CaseEventsAsync(tenant, "spr-B4")).Status is CaseStatus.Open or CaseStatus.Assigned);
        var b2After = await CaseEventsAsync(tenant, b2.Value);
        Assert.Equal(b2Version + 1, b2After.Count);
        Assert.IsType<NoteAdded>(b2After[^1].Data);
        Assert.Equal(eventsBefore + tuesday.EventsWritten, await EventCountAsync(tenant));
        Assert.Equal(b1.Count - b1Before.Count + (await CaseEventsAsync(tenant, "spr-B4")).Count, tuesday.EventsWritten);

        // The same export again: nothing more.
        Assert.Equal((3L, 1L, 0L, 0L), (again.AlreadyImported, again.Changed, again.Updated, again.EventsWritten));
    }
}
