using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Opening;
using EventCase.Cases.Numbering;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cli.Tests;

/// <summary><c>eventcase adopt-restored-log</c> on a log as pg_restore leaves it in another cluster (its transaction ids
/// moved ahead of the server's, as RestoredLogTests in the event store's tests simulate it).</summary>
public sealed class AdoptRestoredLogTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Adopting_changes_nothing_on_a_log_written_here_and_adopts_a_restored_one_once_which_then_verifies()
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: [new CaseNumberLookupProjection()]);
        await store.MigrateAsync(Ct);
        var opened = new CaseOpened(
            new CaseId("restored-1"), new CaseNumber("BOS", 2026, 1), new AgencyId("boston"), new ServiceCode("pothole"), "Deep pothole", null, null,
            Channel.Web, new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(16), Instant.FromUtc(2026, 11, 25, 8, 0));
        await store.AppendToStreamAsync(new StreamName("boston", "restored-1"), "case", ExpectedVersion.NoStream,
            [new NewEvent(Guid.NewGuid(), opened, new EventMetadata("agent-7", "agent", "corr-1"))], Ct);
        string[] adopt = ["adopt-restored-log", "--connection", database.ConnectionString];

        var (untouchedExit, untouched, untouchedError) = await CliRunner.RunAsync(adopt);
        await using (var move = database.DataSource.CreateCommand(
            "UPDATE eventcase.events SET transaction_id = (transaction_id::text::numeric + 1099511627776)::text::xid8"))
        {
            await move.ExecuteNonQueryAsync(Ct);
        }

        var refused = await Record.ExceptionAsync(() => store.MigrateAsync(Ct));
        var (adoptedExit, adopted, adoptedError) = await CliRunner.RunAsync(adopt);
        var (againExit, again, _) = await CliRunner.RunAsync(adopt);
        var (verifyExit, _, verifyError) = await CliRunner.RunAsync("audit", "verify", "--connection", database.ConnectionString);

        Assert.True(untouchedExit == 0, untouchedError);
        Assert.StartsWith("nothing to adopt", untouched, StringComparison.Ordinal);
        Assert.Contains("eventcase adopt-restored-log", Assert.IsType<InvalidOperationException>(refused).Message, StringComparison.Ordinal);
        Assert.True(adoptedExit == 0, adoptedError);
        Assert.StartsWith("adopted 1 restored events; every projection's rebuild is requested", adopted, StringComparison.Ordinal);
        Assert.Equal((0, true), (againExit, again.StartsWith("nothing to adopt", StringComparison.Ordinal)));
        Assert.True(verifyExit == 0, verifyError);
        await store.MigrateAsync(Ct);
    }
}
