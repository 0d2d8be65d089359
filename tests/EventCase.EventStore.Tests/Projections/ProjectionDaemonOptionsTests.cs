using EventCase.EventStore.Projections;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// Daemon settings out of range are refused when the daemon is created, every one named at once: used, they would make
/// the daemon retry an impossible read or delay for ever (a batch size of 0, a negative poll interval), or leave a
/// projection stuck in a rebuild (a rebuild batch size of 0).
/// </summary>
public sealed class ProjectionDaemonOptionsTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private PostgresEventStore Store() => new(Database.DataSource, new EventSerializer(TestEvents.Registry()));

    private ArgumentException Refused(ProjectionDaemonOptions options) => Assert.Throws<ArgumentException>(() => new ProjectionDaemon(Store(), options));

    [Fact]
    public void The_defaults_are_usable()
    {
        Assert.Empty(new ProjectionDaemonOptions().FindProblems());
        using var daemon = new ProjectionDaemon(Store());
    }

    [Fact]
    public void Every_setting_out_of_range_is_named_in_one_refusal_when_the_daemon_is_created()
    {
        var error = Refused(new ProjectionDaemonOptions
        {
            NodeId = " ",
            BatchSize = 0,
            RebuildBatchSize = 0,
            PollInterval = TimeSpan.FromSeconds(-5),
            MinimumStepInterval = TimeSpan.FromMilliseconds(-1),
            OwnershipRetryInterval = TimeSpan.Zero,
            TakeOverFromSilentOwnerAfter = TimeSpan.Zero,
            RebuildGatherWindow = TimeSpan.FromDays(2),
            InlineSwapVisibilityTimeout = Timeout.InfiniteTimeSpan,
        });

        Assert.Equal("options", error.ParamName);
        Assert.Contains("NodeId is blank", error.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize is 0: it must be between 1 and 100,000.", error.Message, StringComparison.Ordinal);
        Assert.Contains("RebuildBatchSize is 0: it must be between 1 and 1,000,000.", error.Message, StringComparison.Ordinal);
        Assert.Contains("PollInterval is -00:00:05: it must be more than zero", error.Message, StringComparison.Ordinal);
        Assert.Contains("MinimumStepInterval is -00:00:00.0010000: it must be zero or more", error.Message, StringComparison.Ordinal);
        Assert.Contains("OwnershipRetryInterval is 00:00:00: it must be more than zero", error.Message, StringComparison.Ordinal);
        Assert.Contains("TakeOverFromSilentOwnerAfter is 00:00:00: it must be more than zero", error.Message, StringComparison.Ordinal);
        Assert.Contains("RebuildGatherWindow is 2.00:00:00: it must be at most 1.00:00:00.", error.Message, StringComparison.Ordinal);
        Assert.Contains("InlineSwapVisibilityTimeout is -00:00:00.0010000: it must be more than zero", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_setting_is_accepted_up_to_its_bounds_and_refused_past_them()
    {
        var atTheBounds = new ProjectionDaemonOptions
        {
            NodeId = new string('n', ProjectionDaemonOptions.MaxNodeIdLength),
            BatchSize = ProjectionDaemonOptions.MaxBatchSize,
            RebuildBatchSize = 1,
            PollInterval = ProjectionDaemonOptions.MaxInterval,
            MinimumStepInterval = TimeSpan.Zero,
            OwnershipRetryInterval = TimeSpan.FromTicks(1),
            RebuildGatherWindow = TimeSpan.Zero,
            InlineSwapVisibilityTimeout = ProjectionDaemonOptions.MaxInterval,
        };
        Assert.Empty(atTheBounds.FindProblems());

        Assert.Equal(
            ["NodeId", "BatchSize", "RebuildBatchSize", "PollInterval", "InlineSwapVisibilityTimeout"],
            Names(new ProjectionDaemonOptions
            {
                NodeId = new string('n', ProjectionDaemonOptions.MaxNodeIdLength + 1),
                BatchSize = ProjectionDaemonOptions.MaxBatchSize + 1,
                RebuildBatchSize = ProjectionDaemonOptions.MaxRebuildBatchSize + 1,
                PollInterval = ProjectionDaemonOptions.MaxInterval + TimeSpan.FromTicks(1),
                InlineSwapVisibilityTimeout = TimeSpan.Zero,
            }));
        Assert.Equal(["NodeId"], Names(new ProjectionDaemonOptions { NodeId = null! }));

        static string[] Names(ProjectionDaemonOptions options) => options.FindProblems().Select(p => p[..p.IndexOf(' ', StringComparison.Ordinal)]).ToArray();
    }
}
