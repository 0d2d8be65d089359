using EventCase.Cli.Projections;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace EventCase.Cli.Tests;

/// <summary>The rebuild cell of <c>projections status</c>: what it says of a rebuild going on, asked for, or over.</summary>
public sealed class ProjectionStatusTableTests
{
    private static readonly RebuildProgress LastRebuild = new(NodaTime.Instant.FromUtc(2026, 11, 24, 9, 0), 132, 132, 2678, 132, null);

    [Fact]
    public void A_rebuild_in_progress_shows_its_figures()
    {
        Assert.Equal("132 events at 2,678/s", ProjectionCommands.RebuildColumn(Status(ProjectionStates.Rebuilding, LastRebuild), null));
    }

    [Fact]
    public void The_figures_of_a_rebuild_that_is_over_say_they_are_the_last_ones()
    {
        Assert.Equal("last: 132 events at 2,678/s", ProjectionCommands.RebuildColumn(Status(ProjectionStates.Running, LastRebuild), null));
        Assert.Equal("last: 132 events at 2,678/s", ProjectionCommands.RebuildColumn(Status(ProjectionStates.Failed, LastRebuild), null));
    }

    [Fact]
    public void A_projection_never_rebuilt_shows_a_dash_and_one_requested_says_since_when()
    {
        Assert.Equal("–", ProjectionCommands.RebuildColumn(Status(ProjectionStates.Running, null), null));
        Assert.Equal(
            "requested 5 s ago (last: 132 events at 2,678/s)",
            ProjectionCommands.RebuildColumn(Status(ProjectionStates.Running, LastRebuild), new ProjectionActivity("p", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5))));
    }

    private static ProjectionStatus Status(string state, RebuildProgress? rebuild) =>
        new("p", null, 1, new LogPosition(0, 0), 132, 0, TimeSpan.Zero, state, true, "node-1", null, null, rebuild, null);
}
