using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Appending;

/// <summary>
/// Appends whose commit succeeded while the connection that wrote it was lost (see <see cref="LostCommitCluster"/>): each
/// caller must be told what was stored.
/// </summary>
public sealed class LostCommitTests : IAsyncLifetime
{
    private LostCommitCluster _cluster = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _cluster = await LostCommitCluster.StartAsync(Ct);

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Appends_whose_callers_gave_up_while_their_batch_committed_and_lost_its_connection_are_reported_stored_not_cancelled()
    {
        await new PostgresEventStore(_cluster.Observer, new EventSerializer(TestEvents.Registry())).MigrateAsync(Ct);
        var store = new PostgresEventStore(_cluster.Waiting, new EventSerializer(TestEvents.Registry()));
        var first = store.AppendToStreamAsync(new StreamName("boston", "first"), "thing", ExpectedVersion.NoStream, TestEvents.Notes("first", 1), Ct);
        var firstPid = await _cluster.WaitForACommitWaitingForTheStandbyAsync([], Ct);

        // Both queue behind the first append (whose commit waits), and are then written together, led by the first of them.
        using var leaderGivesUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var memberGivesUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var leaderStream = new StreamName("boston", "leader");
        var memberStream = new StreamName("boston", "member");
        var leader = store.AppendToStreamAsync(leaderStream, "thing", ExpectedVersion.NoStream, TestEvents.Notes("leader", 2), leaderGivesUp.Token);
        var member = store.AppendToStreamAsync(memberStream, "thing", ExpectedVersion.NoStream, TestEvents.Notes("member", 1), memberGivesUp.Token);
        await _cluster.TerminateAsync(firstPid, Ct);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => first);

        // The batch has committed and waits for the standby: its callers give up, then its connection is lost.
        var batchPid = await _cluster.WaitForACommitWaitingForTheStandbyAsync([firstPid], Ct);
        await leaderGivesUp.CancelAsync();
        await memberGivesUp.CancelAsync();
        await _cluster.TerminateAsync(batchPid, Ct);
        await _cluster.ReleaseCommitsUntilDoneAsync(Task.WhenAll(leader, member).ContinueWith(_ => { }, TaskScheduler.Default), Ct);

        var leaderResult = await leader;
        var memberResult = await member;
        Assert.Equal(2, leaderResult.NextExpectedVersion);
        Assert.Equal(1, memberResult.NextExpectedVersion);
        Assert.True(leaderResult.AlreadyAppended);
        Assert.True(memberResult.AlreadyAppended);
        var observer = new PostgresEventStore(_cluster.Observer, new EventSerializer(TestEvents.Registry()));
        var leaderEvents = await observer.ReadStreamAsync(leaderStream, ReadStreamOptions.All, Ct).ToListAsync(Ct);
        var memberEvents = await observer.ReadStreamAsync(memberStream, ReadStreamOptions.All, Ct).ToListAsync(Ct);
        Assert.Equal(2, leaderEvents.Count);
        Assert.Single(memberEvents);
        Assert.Equal(leaderResult.Positions, leaderEvents.Select(e => e.Position));
        // Written by the batch, both in its one transaction.
        Assert.Single(leaderEvents.Concat(memberEvents).Select(e => e.TransactionId).Distinct());
    }
}
