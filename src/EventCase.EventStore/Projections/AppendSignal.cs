namespace EventCase.EventStore.Projections;

/// <summary>Wakes every waiter when an append (or a control request) is notified. Thread safe.</summary>
internal sealed class AppendSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Returns when the next pulse arrives or <paramref name="timeout"/> passes.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var next = Volatile.Read(ref _next).Task;
        // A poll interval that passes without a pulse is the ordinary end of a wait (every agent of an idle service, every
        // interval): it returns without throwing, so that it stays out of the exceptions an operator watches. Only a
        // cancellation (shutting down) throws.
        await next.WaitAsync(timeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
