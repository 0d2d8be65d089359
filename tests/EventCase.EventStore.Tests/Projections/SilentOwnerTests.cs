using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// A node that is frozen (stopped, a suspended VM) or cut off keeps its connection and with it the ownership lock; the
/// multi-node drill saw a 30 s SIGSTOP stop the async read models for as long. Another node ends the session of an owner
/// silent for <see cref="ProjectionDaemonOptions.TakeOverFromSilentOwnerAfter"/>, and of no other. The frozen owner is a
/// connection of the test's that holds the lock, as a node's agent does.
/// </summary>
public sealed class SilentOwnerTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private static ProjectionDaemonOptions Options(string node) => new()
    {
        NodeId = node,
        PollInterval = TimeSpan.FromMilliseconds(200),
        OwnershipRetryInterval = TimeSpan.FromMilliseconds(200),
        TakeOverFromSilentOwnerAfter = TimeSpan.FromSeconds(1),
    };

    /// <summary>A projection built once by a node that then stopped, its lock now held by <paramref name="frozen"/>.</summary>
    private async Task<PostgresEventStore> OwnedByAFrozenNodeAsync(NpgsqlConnection frozen, NpgsqlDataSource source)
    {
        var store = await CreateStoreAsync(source, new NoteTallyProjection());
        await using (var first = new DaemonHost(store, Options("first")))
        {
            await first.StartAsync();
            await AppendNotesAsync(store, new StreamName("boston", "s-1"), "before the freeze");
            await CaughtUpAsync(store);
            await first.StopAsync();
        }

        await using var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", frozen);
        take.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ProjectionOwnership.LockKey(Schema, "note_tally") });
        await take.ExecuteNonQueryAsync(Ct);
        await SetHeartbeatAsync(source, "now() - interval '1 hour'");
        return store;
    }

    private async Task SetHeartbeatAsync(NpgsqlDataSource source, string when) =>
        await ExecuteAsync(source, $"UPDATE {Schema}.projections SET owner = 'frozen-node', owner_heartbeat_at = {when} WHERE name = 'note_tally'");

    private static async Task<bool> AliveAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(Ct);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    [Fact]
    public async Task An_owner_that_stopped_reporting_and_waits_idle_on_its_connection_is_ended_and_another_node_takes_over()
    {
        await using var source = NpgsqlDataSource.Create(Database.ConnectionString);
        await using var frozen = await source.OpenConnectionAsync(Ct);
        var store = await OwnedByAFrozenNodeAsync(frozen, source);
        await AppendNotesAsync(store, new StreamName("boston", "s-1"), "during the freeze", "and after");

        await using var node = new DaemonHost(store, Options("node-b"));
        await node.StartAsync();

        await WaitUntilAsync(async () => (await StatusAsync(store)) is { Owner: "node-b", LagEvents: 0 }, "node B took over and caught up", seconds: 30);
        Assert.False(await AliveAsync(frozen));
        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
    }

    [Fact]
    public async Task An_idle_owner_that_keeps_reporting_keeps_its_projection_until_its_reports_stop()
    {
        await using var source = NpgsqlDataSource.Create(Database.ConnectionString);
        await using var frozen = await source.OpenConnectionAsync(Ct);
        var store = await OwnedByAFrozenNodeAsync(frozen, source);
        await AppendNotesAsync(store, new StreamName("boston", "s-1"), "while the owner reports");
        using var reporting = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var reports = Task.Run(async () =>
        {
            while (!reporting.IsCancellationRequested)
            {
                await SetHeartbeatAsync(source, "now()");
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);

        await using var node = new DaemonHost(store, Options("node-b"));
        await node.StartAsync();
        // Three times the silence allowed, with node B trying every 200 ms: ample for a takeover, were one wrongly due.
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.True(await AliveAsync(frozen));
        Assert.Equal(("frozen-node", 1L), ((await StatusAsync(store)).Owner, (await StatusAsync(store)).LagEvents));

        await reporting.CancelAsync();
        await reports;
        await WaitUntilAsync(async () => (await StatusAsync(store)) is { Owner: "node-b", LagEvents: 0 }, "node B took over once the reports stopped", seconds: 30);
    }

    [Fact]
    public async Task An_owner_running_a_statement_is_not_ended_however_old_its_heartbeat()
    {
        await using var source = NpgsqlDataSource.Create(Database.ConnectionString);
        await using var frozen = await source.OpenConnectionAsync(Ct);
        var store = await OwnedByAFrozenNodeAsync(frozen, source);
        await AppendNotesAsync(store, new StreamName("boston", "s-1"), "while the owner works");

        await using var node = new DaemonHost(store, Options("node-b"));
        await node.StartAsync();
        // A long statement of a live owner (a rebuild's write, a wait on a lock): it runs to its end.
        await using (var work = new NpgsqlCommand("SELECT pg_sleep(3)", frozen))
        {
            await work.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal("frozen-node", (await StatusAsync(store)).Owner);
        await WaitUntilAsync(async () => (await StatusAsync(store)) is { Owner: "node-b", LagEvents: 0 }, "node B took over once the owner fell silent", seconds: 30);
    }

    /// <summary>
    /// A slow projection (100 ms an event: three seconds a batch of 30, three times the silence allowed) run by two nodes.
    /// Its owner works in memory between two statements, which from the database looks like a frozen node; it was ended
    /// part-way through every batch, the node that took over was ended in turn by the first, and the projection never
    /// moved (a drill's checkpoint stood still for a minute while the nodes took it from each other).
    /// </summary>
    [Fact]
    public async Task An_owner_whose_batch_outlasts_the_silence_allowed_keeps_reporting_and_finishes_it_beside_another_node()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection { DelayPerEvent = TimeSpan.FromMilliseconds(100) });
        await using var first = new DaemonHost(store, Options("node-a"));
        await first.StartAsync();
        await CaughtUpAsync(store);
        await using var second = new DaemonHost(store, Options("node-b"));
        await second.StartAsync();

        await AppendNotesAsync(store, new StreamName("boston", "s-1"), Enumerable.Range(1, 30).Select(i => $"note {i}").ToArray());

        await CaughtUpAsync(store, seconds: 30);
        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
    }

    /// <summary>The same for a rebuild, whose owner folds the log in memory between its progress reports.</summary>
    [Fact]
    public async Task An_owner_whose_rebuild_folds_longer_than_the_silence_allowed_keeps_reporting_and_swaps_it_in_beside_another_node()
    {
        var store = await CreateStoreAsync(null, new NoteTallyProjection { DelayPerEvent = TimeSpan.FromMilliseconds(100) });
        await using var first = new DaemonHost(store, Options("node-a"));
        await first.StartAsync();
        await AppendNotesAsync(store, new StreamName("boston", "s-1"), Enumerable.Range(1, 30).Select(i => $"note {i}").ToArray());
        await CaughtUpAsync(store);
        await using var second = new DaemonHost(store, Options("node-b"));
        await second.StartAsync();

        await store.Projections.RequestRebuildAsync("note_tally", Ct);

        await WaitUntilAsync(
            async () => await CountAsync($"SELECT count(*) FROM {Schema}.projections WHERE name = 'note_tally' AND rebuild_requested_at IS NULL AND state = 'running' AND built") == 1,
            "the rebuild was swapped in",
            seconds: 30);
        await CaughtUpAsync(store, seconds: 30);
        AssertSameRows(NoteTallyProjection.Expected(await WholeLogAsync(store)), await RowsAsync());
    }
}
