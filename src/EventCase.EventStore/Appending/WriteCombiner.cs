using System.Runtime.ExceptionServices;

namespace EventCase.EventStore;

/// <summary>
/// Group commit for any kind of write: a write that arrives while another is in flight waits, and the writes that waited
/// meanwhile are made together, in one round trip and transaction, by one of them. A write that finds none in flight is
/// made alone at once, exactly as without combining, so a lone caller sees no difference and no added delay; under
/// concurrency, one round trip, one transaction and one commit serve many writes, and batches grow exactly when the
/// database is the bottleneck. Writes that conflict (writes to one stream) never share a batch: the later one waits
/// for the next, so they keep their order. Whatever fails a batch as a whole, its members are made again one by one
/// before the next batch starts (so that they keep their order too), and each meets exactly the answer (result or
/// exception) it would have met alone. The store combines its appends
/// with it (decision 0016), the case number allocator its counter updates, reference data its version checks. Thread safe.
/// </summary>
/// <typeparam name="TWrite">A write, validated and ready to send.</typeparam>
/// <typeparam name="TResult">What a write returns.</typeparam>
/// <param name="writeAlone">Makes one write in a transaction of its own (the path without combining).</param>
/// <param name="writeTogether">
/// Makes several writes in one transaction, returning one outcome per write, in order: a function that returns its
/// result or throws the exception that write alone would have met (a wrong expected version). Throws when the batch
/// failed as a whole (then each write is made again alone).
/// </param>
/// <param name="conflict">True when two writes may not share a batch (and must keep their order).</param>
/// <param name="weight">How much of a batch's capacity a write takes (the events of an append).</param>
/// <param name="maxWeight">The capacity of one batch, in the unit of <paramref name="weight"/>.</param>
/// <param name="maxBatch">The most writes one batch carries.</param>
/// <exception cref="ArgumentNullException">A delegate is null.</exception>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="maxWeight"/> or <paramref name="maxBatch"/> is below 1.</exception>
public sealed class WriteCombiner<TWrite, TResult>(
    Func<TWrite, CancellationToken, Task<TResult>> writeAlone,
    Func<IReadOnlyList<TWrite>, Task<IReadOnlyList<Func<TResult>>>> writeTogether,
    Func<TWrite, TWrite, bool> conflict,
    Func<TWrite, int> weight,
    int maxWeight,
    int maxBatch = 32)
{
    private readonly Func<TWrite, CancellationToken, Task<TResult>> _writeAlone = writeAlone ?? throw new ArgumentNullException(nameof(writeAlone));
    private readonly Func<IReadOnlyList<TWrite>, Task<IReadOnlyList<Func<TResult>>>> _writeTogether = writeTogether ?? throw new ArgumentNullException(nameof(writeTogether));
    private readonly Func<TWrite, TWrite, bool> _conflict = conflict ?? throw new ArgumentNullException(nameof(conflict));
    private readonly Func<TWrite, int> _weight = weight ?? throw new ArgumentNullException(nameof(weight));
    private readonly int _maxWeight = maxWeight >= 1 ? maxWeight : throw new ArgumentOutOfRangeException(nameof(maxWeight), maxWeight, "must be at least 1.");
    private readonly int _maxBatch = maxBatch >= 1 ? maxBatch : throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "must be at least 1.");
    private readonly Lock _gate = new();
    private readonly List<Waiter> _waiting = [];
    private bool _writing;

    /// <summary>Makes <paramref name="write"/>, alone or together with writes that arrive while another is in flight.</summary>
    /// <param name="write">The write.</param>
    /// <param name="cancellationToken">
    /// Cancels the write while it waits (nothing is written) or, when it is made alone, as that write honours it; a
    /// write already taken into a batch is made with the batch, and made again alone, whatever the token, if the batch
    /// fails as a whole.
    /// </param>
    /// <returns>The write's result.</returns>
    public async Task<TResult> WriteAsync(TWrite write, CancellationToken cancellationToken)
    {
        Waiter? waiter = null;
        lock (_gate)
        {
            if (_writing)
            {
                waiter = new Waiter(write);
                _waiting.Add(waiter);
            }

            _writing = true;
        }

        if (waiter is null)
        {
            return await WriteAloneThenHandOverAsync(write, cancellationToken);
        }

        Turn turn;
        await using (cancellationToken.UnsafeRegister(
            static (state, token) =>
            {
                var (self, abandoned) = ((WriteCombiner<TWrite, TResult>, Waiter))state!;
                self.Abandon(abandoned, token);
            },
            (this, waiter)))
        {
            turn = await waiter.Turn.Task;
        }

        return turn switch
        {
            Turn.Done done => done.Outcome(),
            Turn.Lead lead => await LeadAsync(lead.Batch),
            _ => await WriteAloneThenHandOverAsync(write, cancellationToken),
        };
    }

    private async Task<TResult> WriteAloneThenHandOverAsync(TWrite write, CancellationToken cancellationToken)
    {
        try
        {
            return await _writeAlone(write, cancellationToken);
        }
        finally
        {
            HandOver();
        }
    }

    /// <summary>Writes a batch this waiter was chosen to lead, answers the others, then passes the turn on.</summary>
    private async Task<TResult> LeadAsync(IReadOnlyList<Waiter> batch)
    {
        IReadOnlyList<Func<TResult>> outcomes;
        try
        {
            try
            {
                outcomes = await _writeTogether(batch.Select(w => w.Write).ToArray());
            }
            catch
            {
                // The batch wrote nothing: each member is made again alone, and meets its own answer there. Before the
                // turn passes on: a later write to one of their streams waits for the next batch, and must not overtake.
                outcomes = await Task.WhenAll(batch.Select(w => WriteAgainAfterFailedBatchAsync(w.Write)));
            }
        }
        finally
        {
            HandOver();
        }

        // The leader is the batch's first member (see HandOver).
        for (var i = 1; i < batch.Count; i++)
        {
            batch[i].Turn.TrySetResult(new Turn.Done(outcomes[i]));
        }

        return outcomes[0]();
    }

    /// <summary>
    /// Makes a write of a batch that failed as a whole again, alone, and captures its outcome. Its caller may have given
    /// up meanwhile, but the write was taken into the batch, so it is made regardless: the batch may have committed
    /// before its connection was lost, and a caller told "cancelled" would believe nothing was written where the write
    /// alone now finds it made.
    /// </summary>
    private async Task<Func<TResult>> WriteAgainAfterFailedBatchAsync(TWrite write)
    {
        try
        {
            var result = await _writeAlone(write, CancellationToken.None);
            return () => result;
        }
        catch (Exception e)
        {
            var failure = ExceptionDispatchInfo.Capture(e);
            return () =>
            {
                failure.Throw();
                return default!;
            };
        }
    }

    /// <summary>
    /// Called when a write ends: the writes that waited meanwhile become the next batch, led by the first of them
    /// (a batch of one is written alone); with none waiting, the next write to arrive writes at once.
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
            var skipped = new List<Waiter>();
            var load = 0;
            for (var i = 0; i < _waiting.Count && batch.Count < _maxBatch; i++)
            {
                var candidate = _waiting[i];
                var candidateWeight = _weight(candidate.Write);
                // Conflicting writes keep their order: one that conflicts with a write of the batch, or with one left
                // for later, waits for the next batch too.
                if ((batch.Count > 0 && load + candidateWeight > _maxWeight)
                    || batch.Exists(w => _conflict(w.Write, candidate.Write))
                    || skipped.Exists(w => _conflict(w.Write, candidate.Write)))
                {
                    skipped.Add(candidate);
                    continue;
                }

                batch.Add(candidate);
                load += candidateWeight;
                _waiting.RemoveAt(i--);
            }
        }

        batch[0].Turn.TrySetResult(batch.Count == 1 ? Turn.WriteAlone.Instance : new Turn.Lead(batch));
    }

    /// <summary>A waiting write whose caller gave up: dropped if still waiting (nothing was written for it).</summary>
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

    private sealed class Waiter(TWrite write)
    {
        public TWrite Write { get; } = write;

        // Continuations run on the thread pool, never inside the hand-over that completes them.
        public TaskCompletionSource<Turn> Turn { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What a waiting write is told when its turn comes.</summary>
    private abstract record Turn
    {
        /// <summary>Written by another's batch: this is its outcome.</summary>
        public sealed record Done(Func<TResult> Outcome) : Turn;

        /// <summary>Lead this batch (this waiter is its first member).</summary>
        public sealed record Lead(IReadOnlyList<Waiter> Batch) : Turn;

        /// <summary>Write alone, as a batch of one.</summary>
        public sealed record WriteAlone : Turn
        {
            public static readonly WriteAlone Instance = new();
        }
    }
}
