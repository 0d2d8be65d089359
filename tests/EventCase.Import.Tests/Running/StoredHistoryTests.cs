using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using EventCase.Import.Synthesis;
using EventCase.Import.Tests.Support;

namespace EventCase.Import.Tests.Running;

/// <summary>What an update may append to a case an earlier import stored: only what the case's decider allows from
/// where the case is.</summary>
public sealed class StoredHistoryTests
{
    private static readonly ImportMapping Boston = SourceFiles.MappingFor(SourceFiles.Boston) with
    {
        Statuses = new Dictionary<string, SourceLifecycle> { ["Open"] = SourceLifecycle.Open, ["Closed"] = SourceLifecycle.Closed, ["Cancelled"] = SourceLifecycle.Cancelled },
    };

    [Fact]
    public void Closing_is_refused_after_a_cancellation_and_allowed_after_an_assignment()
    {
        var cancelled = History(("CASE_STATUS", "Cancelled"));
        var closed = History();

        Assert.False(StoredHistory.DeciderAllows(cancelled, closed.Skip(2)));
        Assert.True(StoredHistory.DeciderAllows(closed.Take(2), closed.Skip(2)));
    }

    [Fact]
    public void An_opening_is_never_a_continuation()
    {
        var closed = History();
        Assert.False(StoredHistory.DeciderAllows(closed.Take(2), closed.Take(1)));
    }

    private static CaseEvent[] History(params (string Column, string Value)[] changes)
    {
        var synthesizer = new CaseSynthesizer(Boston, new AgencyId("boston"), "test.csv", BostonRows.Split(BostonRows.Header));
        var row = synthesizer.Synthesize(2, BostonRows.Split(BostonRows.Line(2, changes)));
        return [.. row.Append!.Events.Select(e => (CaseEvent)e.Data)];
    }
}
