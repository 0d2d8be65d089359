using EventCase.Cases.Assigning;
using EventCase.Cases.Numbering;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Numbering;

public sealed class CaseNumberLookupProjectionTests
{
    private static readonly CaseNumberLookupProjection Projection = new();

    private static RecordedEvent Recorded(object data, long version) => new(
        version, 1, new StreamName("boston", Id.Value), version, Guid.CreateVersion7(), "x.v1", "x.v1", data,
        new EventMetadata("agent-7", "agent"), T0);

    [Fact]
    public void An_opened_case_becomes_a_row_with_its_number_and_later_events_leave_it_alone()
    {
        var row = Projection.Apply(null, Recorded(Opened(), 1), null!);
        var after = Projection.Apply(row, Recorded(AssignedToStreets(), 2), null!);

        Assert.Equal(new CaseNumberEntry(Id, Number, T0), row);
        Assert.Same(row, after);
    }

    [Fact]
    public void The_lookup_is_inline_so_a_number_is_findable_as_soon_as_the_open_returns()
    {
        Assert.Equal(EventStore.Projections.ProjectionMode.Inline, Projection.Mode);
        Assert.Equal([typeof(EventCase.Cases.Opening.CaseOpened)], Projection.EventTypes);
        Assert.Equal(Id.Value, Projection.RowKey(Recorded(Opened(), 1)));
    }
}
