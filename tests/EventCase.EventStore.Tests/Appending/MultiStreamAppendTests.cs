using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Appending;

public sealed class MultiStreamAppendTests(DatabaseFixture database) : StoreTestBase(database), IClassFixture<DatabaseFixture>
{
    private static StreamAppend NewCase(StreamName stream, int events) =>
        new(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes(stream.Id, events));

    [Fact]
    public async Task A_batch_appends_to_many_streams_in_one_transaction()
    {
        var streams = Enumerable.Range(0, 50).Select(_ => NewStream()).ToArray();

        var results = await Store.AppendToStreamsAsync(streams.Select(s => NewCase(s, 3)).ToArray(), Ct);

        Assert.Equal(50, results.Count);
        Assert.All(results, r => Assert.Equal(3, r.NextExpectedVersion));
        Assert.Equal(streams, results.Select(r => r.Stream));
        foreach (var stream in streams)
        {
            Assert.Equal(3, await CountEventsAsync(stream));
        }
    }

    [Fact]
    public async Task A_batch_with_one_wrong_expected_version_writes_nothing_at_all()
    {
        var existing = NewStream();
        await Store.AppendToStreamAsync(existing, "thing", ExpectedVersion.NoStream, TestEvents.Notes(existing.Id, 1), Ct);
        var fresh = Enumerable.Range(0, 5).Select(_ => NewStream()).ToArray();
        var before = await CountEventsAsync();

        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() =>
            Store.AppendToStreamsAsync([.. fresh.Select(s => NewCase(s, 2)), NewCase(existing, 1)], Ct));

        Assert.Equal(existing.Id, error.StreamId);
        Assert.Equal(before, await CountEventsAsync());
        Assert.All(fresh, s => Assert.Null(Store.GetStreamInfoAsync(s, Ct).GetAwaiter().GetResult()));
    }

    [Fact]
    public async Task Retrying_a_batch_returns_the_original_results_and_writes_nothing()
    {
        var batch = Enumerable.Range(0, 10).Select(_ => NewCase(NewStream(), 4)).ToArray();
        var first = await Store.AppendToStreamsAsync(batch, Ct);
        var before = await CountEventsAsync();

        var retry = await Store.AppendToStreamsAsync(batch, Ct);

        Assert.All(retry, r => Assert.True(r.AlreadyAppended));
        Assert.Equal(first.Select(r => r.Positions), retry.Select(r => r.Positions));
        Assert.Equal(before, await CountEventsAsync());
    }

    [Fact]
    public async Task Concurrent_batches_over_overlapping_streams_neither_deadlock_nor_lose_events()
    {
        var streams = Enumerable.Range(0, 20).Select(_ => NewStream()).ToArray();

        await Task.WhenAll(Enumerable.Range(0, 6).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var round = 0; round < 15; round++)
            {
                var picked = streams.OrderBy(_ => random.Next()).Take(8).ToArray();
                await Store.AppendToStreamsAsync(
                    picked.Select(s => new StreamAppend(s, "thing", ExpectedVersion.Any, TestEvents.Notes(s.Id, 1))).ToArray(), Ct);
            }
        }, Ct)));

        long total = 0;
        foreach (var stream in streams)
        {
            var events = await Store.ReadStreamAsync(stream, cancellationToken: Ct).ToListAsync(Ct);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(v => (long)v), events.Select(e => e.StreamVersion));
            total += events.Count;
        }

        Assert.Equal(6 * 15 * 8, total);
    }

    [Fact]
    public async Task A_stream_twice_in_one_batch_is_refused()
    {
        var stream = NewStream();

        var error = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() =>
            Store.AppendToStreamsAsync([NewCase(stream, 1), NewCase(stream, 1)], Ct));

        Assert.Equal("appends", error.Field);
    }
}
