namespace EventCase.EventStore;

/// <summary>
/// Group commit for appends: an append that arrives while another is being written waits, and the appends that waited
/// meanwhile are written together, in one transaction, by one of them. An append that finds nobody writing is written
/// alone at once, exactly as without combining, so a single writer sees no difference and no added delay; under
/// concurrency, one round trip, one transaction and one commit serve several appends, and each inline projection writes
/// their rows in one statement. Appends to the same stream never share a batch (the later one waits for the next).
/// Whatever goes wrong in a batch, its members are written again one by one, so each gets exactly the answer (result or
/// exception) it would have got alone. Thread safe.
/// </summary>
/// <typeparam name="TAppend">An append, validated and serialized.</typeparam>
/// <typeparam name="TResult">What an append returns.</typeparam>
/// <param name="writeAlone">Writes one append in a transaction of its own (the path without combining).</param>
/// <param name="writeTogether">
/// Writes several appends in one transaction, returning one outcome per append, in order: its result, or the exception
/// that append alone would have raised (a wrong expected version). Throws when the transaction as a whole failed.
/// </param>
/// <param name="sameStream">True when two appends are to the same stream.</param>
/// <param name="eventCount">The number of events of an append.</param>
/// <param name="maxEvents">The most events one batch may carry (the store's limit for one append).</param>
internal sealed class AppendCombiner<TAppend, TResult>(
    Func<TAppend, CancellationToken, Task<TResult>> writeAlone,
    Func<IReadOnlyList<TAppend>, Task<IReadOnlyList<Func<TResult>>>> writeTogether,
    Func<TAppend, TAppend, bool> sameStream,
    Func<TAppend, int> eventCount,
    int maxEvents)
{
    /// <summary>The most appends one batch carries.</summary>
    internal const int MaxBatch = 32;

    private readonly Lock _gate = new();
    private readonly List<Waiter> _waiting = [];
    private bool _writing;

    /// <summary>Writes <paramref name="append"/>, alone or together with appends that arrive while another is written.</summary>
    /// <param name="append">The append.</param>
    /// <param name="cancellationToken">
    /// Cancels the append while it waits (nothing is written) or, when it is written alone, as the store's append would;
    /// an append already taken into a batch is written with the batch.
    /// </param>
    public async Task<TResult> AppendAsync(TAppend append, CancellationToken cancellationToken)
    {
        Waiter? waiter = null;
        lock (_gate)
        {
            if (_writing)
            {
                waiter = new Waiter(append);
                _waiting.Add(waiter);
            }

            _writing = true;
        }

        if (waiter is null)
        {
            return await WriteAloneThenHandOverAsync(append, cancellationToken);
        }

        Turn turn;
        await using (cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var (self, abandoned) = ((AppendCombiner<TAppend, TResult>, Waiter))state!;
                self.Abandon(abandoned, token);
            },
            (this, waiter)))
        {
            turn = await waiter.Turn.Task;
        }

        return turn switch
        {
            Turn.Done done => done.Outcome(),
            Turn.Lead lead => await LeadAsync(waiter, lead.Batch, cancellationToken),
            Turn.WriteAlone { Leads: true } => await WriteAloneThenHandOverAsync(append, cancellationToken),
            _ => await writeAlone(append, cancellationToken),
        };
    }

    private async Task<TResult> WriteAloneThenHandOverAsync(TAppend append, CancellationToken cancellationToken)
    {
        try
        {
            return await writeAlone(append, cancellationToken);
        }
        finally
        {
            HandOver();
        }
    }

    /// <summary>Writes a batch this waiter was chosen to lead, answers the others, then passes the turn on.</summary>
    private async Task<TResult> LeadAsync(Waiter leader, IReadOnlyList<Waiter> batch, CancellationToken cancellationToken)
    {
        IReadOnlyList<Func<TResult>>? outcomes = null;
        try
        {
            outcomes = await writeTogether(batch.Select(w => w.Append).ToArray());
        }
        catch
        {
            // The batch wrote nothing: each member is written again on its own, and meets its own answer there.
        }
        finally
        {
            HandOver();
        }

        // The leader is the batch's first member (see HandOver).
        for (var i = 1; i < batch.Count; i++)
        {
            batch[i].Turn.TrySetResult(outcomes is null ? Turn.WriteAlone.Instance : new Turn.Done(outcomes[i]));
        }

        return outcomes is null ? await writeAlone(leader.Append, cancellationToken) : outcomes[0]();
    }

    /// <summary>
    /// Called when a write ends: the appends that waited meanwhile become the next batch, led by the first of them
    /// (a batch of one is written alone); with none waiting, the next append to arrive writes at once.
    /// </summary>
    private void HandOver()
    {
        List<Waiter> batch;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _writing = false;
                return;
            }

            batch = [];
            var events = 0;
            for (var i = 0; i < _waiting.Count && batch.Count < MaxBatch; i++)
            {
                var candidate = _waiting[i];
                var count = eventCount(candidate.Append);
                // Same-stream appends keep their order: a later one waits for the next batch.
                if ((batch.Count > 0 && events + count > maxEvents) || batch.Exists(w => sameStream(w.Append, candidate.Append)))
                {
                    continue;
                }

                batch.Add(candidate);
                events += count;
                _waiting.RemoveAt(i--);
            }
        }

        batch[0].Turn.TrySetResult(batch.Count == 1 ? Turn.WriteAlone.AsLeader : new Turn.Lead(batch));
    }

    /// <summary>A waiting append whose caller gave up: dropped if still waiting (nothing was written for it).</summary>
    private void Abandon(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(waiter))
            {
                return;
            }
        }

        waiter.Turn.TrySetCanceled(token);
    }

    private sealed class Waiter(TAppend append)
    {
        public TAppend Append { get; } = append;

        // Continuations run on the thread pool, never inside the hand-over that completes them.
        public TaskCompletionSource<Turn> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What a waiting append is told when its turn comes.</summary>
    private abstract record Turn
    {
        /// <summary>Written by another's batch: this is its outcome.</summary>
        public sealed record Done(Func<TResult> Outcome) : Turn;

        /// <summary>Lead this batch (this waiter is its first member).</summary>
        public sealed record Lead(IReadOnlyList<Waiter> Batch) : Turn;

        /// <summary>Write alone: as a batch of one, or again after a batch failed.</summary>
        public sealed record WriteAlone(bool Leads) : Turn
        {
            public static readonly WriteAlone Instance = new(false);

            public static readonly WriteAlone AsLeader = new(true);
        }
    }
}
