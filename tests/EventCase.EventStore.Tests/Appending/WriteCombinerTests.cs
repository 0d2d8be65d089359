namespace EventCase.EventStore.Tests.Appending;

/// <summary>
/// The combiner on its own, with writes that are strings ("stream:payload") and a fake database whose writes finish
/// when the test says so: which writes go alone, which together, in what order, and what each caller is told.
/// </summary>
public sealed class WriteCombinerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_lone_write_is_made_at_once_and_alone()
    {
        var database = new FakeDatabase();
        var combiner = database.Combiner();

        var result = await combiner.WriteAsync("a:1", Ct);

        Assert.Equal("a:1 written", result);
        Assert.Equal(["alone a:1"], database.Calls);
    }

    [Fact]
    public async Task Writes_that_arrive_while_one_is_in_flight_are_made_together_in_arrival_order()
    {
        var database = new FakeDatabase { HoldAlone = true };
        var combiner = database.Combiner();
        var first = combiner.WriteAsync("a:1", Ct);
        var queued = new[] { "b:1", "c:1", "d:1" }.Select(w => combiner.WriteAsync(w, Ct)).ToArray();

        database.Release();

        Assert.Equal("a:1 written", await first);
        Assert.Equal(["b:1 written", "c:1 written", "d:1 written"], await Task.WhenAll(queued));
        Assert.Equal(["alone a:1", "together b:1 c:1 d:1"], database.Calls);
    }

    [Fact]
    public async Task Conflicting_writes_never_share_a_batch_and_keep_their_order_even_past_a_write_left_out_for_its_weight()
    {
        var database = new FakeDatabase { HoldAlone = true };
        // Capacity 3: "b:xxx" (weight 3) cannot join "a:1"; "b:1" must not overtake it.
        var combiner = database.Combiner(maxWeight: 3);
        var first = combiner.WriteAsync("z:1", Ct);
        var queued = new[] { "a:1", "a:2", "b:xxx", "b:1", "c:1" }.Select(w => combiner.WriteAsync(w, Ct)).ToArray();

        database.Release();
        await Task.WhenAll([first, .. queued]);

        // a:2 waits for a:1's batch to end; b:xxx does not fit beside a:1 (nor beside a:2); b:1 never goes before it.
        Assert.Equal(["alone z:1", "together a:1 c:1", "alone a:2", "alone b:xxx", "alone b:1"], database.Calls);
    }

    [Fact]
    public async Task A_batch_holds_at_most_the_most_writes_allowed()
    {
        var database = new FakeDatabase { HoldAlone = true };
        var combiner = database.Combiner(maxBatch: 2);
        var first = combiner.WriteAsync("z:1", Ct);
        var queued = new[] { "a:1", "b:1", "c:1", "d:1", "e:1" }.Select(w => combiner.WriteAsync(w, Ct)).ToArray();

        database.Release();
        await Task.WhenAll([first, .. queued]);

        Assert.Equal(["alone z:1", "together a:1 b:1", "together c:1 d:1", "alone e:1"], database.Calls);
    }

    [Fact]
    public async Task When_a_batch_fails_as_a_whole_each_write_is_made_again_alone_and_meets_its_own_answer()
    {
        var database = new FakeDatabase { HoldAlone = true, FailTogether = true };
        var combiner = database.Combiner();
        var first = combiner.WriteAsync("z:1", Ct);
        var fine = combiner.WriteAsync("a:1", Ct);
        var refused = combiner.WriteAsync("b:refused", Ct);

        database.Release();

        Assert.Equal("z:1 written", await first);
        Assert.Equal("a:1 written", await fine);
        Assert.Equal("b:refused", (await Assert.ThrowsAsync<InvalidOperationException>(() => refused)).Message);
        Assert.Contains("together a:1 b:refused", database.Calls);
        Assert.Contains("alone a:1", database.Calls);
        Assert.Contains("alone b:refused", database.Calls);
    }

    [Fact]
    public async Task A_write_made_again_after_its_batch_failed_is_not_overtaken_by_a_later_write_to_its_stream()
    {
        var database = new FakeDatabase { HoldAlone = true, FailTogether = true, HoldTogether = true, SlowAlone = "a:1" };
        var combiner = database.Combiner();
        var first = combiner.WriteAsync("z:1", Ct);
        var earlier = combiner.WriteAsync("a:1", Ct);
        var other = combiner.WriteAsync("b:1", Ct);
        database.Release();
        await database.TogetherStarted.WaitAsync(Ct);

        // Arrives while the batch of a:1 and b:1 is in flight, so it waits for the next one; then the batch fails.
        var later = combiner.WriteAsync("a:2", Ct);
        database.ReleaseTogether();
        await Task.WhenAll(first, earlier, other, later);

        // a:1 is made again alone (slowly) and has finished before a:2 is made at all.
        var calls = database.Calls;
        Assert.Equal(["alone z:1", "together a:1 b:1"], calls.Take(2));
        Assert.Contains("finished a:1", calls);
        Assert.Contains("alone a:2", calls);
        Assert.True(calls.IndexOf("finished a:1") < calls.IndexOf("alone a:2"), string.Join(", ", calls));
        Assert.Equal("a:1 written", await earlier);
    }

    [Fact]
    public async Task A_refusal_inside_a_batch_reaches_only_its_own_caller()
    {
        var database = new FakeDatabase { HoldAlone = true };
        var combiner = database.Combiner();
        var first = combiner.WriteAsync("z:1", Ct);
        var refused = combiner.WriteAsync("a:refused", Ct);
        var fine = combiner.WriteAsync("b:1", Ct);

        database.Release();

        await first;
        Assert.Equal("a:refused", (await Assert.ThrowsAsync<InvalidOperationException>(() => refused)).Message);
        Assert.Equal("b:1 written", await fine);
        Assert.Equal(["alone z:1", "together a:refused b:1"], database.Calls);
    }

    [Fact]
    public async Task A_waiting_write_whose_caller_gives_up_is_never_made()
    {
        var database = new FakeDatabase { HoldAlone = true };
        var combiner = database.Combiner();
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var first = combiner.WriteAsync("z:1", Ct);
        var abandoned = combiner.WriteAsync("a:1", giveUp.Token);
        var kept = combiner.WriteAsync("b:1", Ct);

        await giveUp.CancelAsync();
        database.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal("b:1 written", await kept);
        await first;
        Assert.Equal(["alone z:1", "alone b:1"], database.Calls);
    }

    [Fact]
    public async Task Many_concurrent_writers_each_get_their_own_result_exactly_once()
    {
        var database = new FakeDatabase();
        var combiner = database.Combiner();

        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() => combiner.WriteAsync($"s{i % 50}:{i}", Ct), Ct)));

        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"s{i % 50}:{i} written"), results);
        var made = database.Calls.SelectMany(c => c.Split(' ').Skip(1)).ToList();
        Assert.Equal(500, made.Count);
        Assert.Equal(500, made.Distinct().Count());
    }

    [Fact]
    public void Limits_below_one_and_missing_delegates_are_refused()
    {
        var database = new FakeDatabase();

        Assert.Throws<ArgumentOutOfRangeException>(() => database.Combiner(maxWeight: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => database.Combiner(maxBatch: 0));
        Assert.Throws<ArgumentNullException>(() => new WriteCombiner<string, string>(null!, database.WriteTogetherAsync, SameStream, Weight, 10));
    }

    private static bool SameStream(string a, string b) => a.Split(':')[0] == b.Split(':')[0];

    private static int Weight(string write) => write.Split(':')[1].Length;

    /// <summary>Records every call; a write whose payload is "refused" is refused; writes alone can be held until released.</summary>
    private sealed class FakeDatabase
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _togetherReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _togetherStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _gate = new();
        private readonly List<string> _calls = [];

        public bool HoldAlone { get; init; }

        public bool FailTogether { get; init; }

        /// <summary>Batches wait for <see cref="ReleaseTogether"/> before they end.</summary>
        public bool HoldTogether { get; init; }

        /// <summary>A write that, made alone, takes a while, and records when it has finished.</summary>
        public string? SlowAlone { get; init; }

        /// <summary>Completes when the first batch has started.</summary>
        public Task TogetherStarted => _togetherStarted.Task;

        public List<string> Calls
        {
            get
            {
                lock (_gate)
                {
                    return [.. _calls];
                }
            }
        }

        public WriteCombiner<string, string> Combiner(int maxWeight = 100, int maxBatch = 32) =>
            new(WriteAloneAsync, WriteTogetherAsync, SameStream, Weight, maxWeight, maxBatch);

        public void Release() => _released.TrySetResult();

        public void ReleaseTogether() => _togetherReleased.TrySetResult();

        public async Task<string> WriteAloneAsync(string write, CancellationToken cancellationToken)
        {
            Record("alone " + write);
            if (HoldAlone)
            {
                await _released.Task.WaitAsync(cancellationToken);
            }

            await Task.Yield();
            if (write == SlowAlone)
            {
                // Long enough for a write that does not wait for this one to start meanwhile.
                await Task.Delay(200, cancellationToken);
                Record("finished " + write);
            }

            return write.EndsWith(":refused", StringComparison.Ordinal) ? throw new InvalidOperationException(write) : write + " written";
        }

        public async Task<IReadOnlyList<Func<string>>> WriteTogetherAsync(IReadOnlyList<string> writes)
        {
            Record("together " + string.Join(' ', writes));
            _togetherStarted.TrySetResult();
            if (HoldTogether)
            {
                await _togetherReleased.Task;
            }

            await Task.Yield();
            if (FailTogether)
            {
                throw new InvalidOperationException("the batch failed");
            }

            return writes.Select(w => (Func<string>)(() => w.EndsWith(":refused", StringComparison.Ordinal) ? throw new InvalidOperationException(w) : w + " written")).ToArray();
        }

        private void Record(string call)
        {
            lock (_gate)
            {
                _calls.Add(call);
            }
        }
    }
}
