using System.Diagnostics;
using Npgsql;

namespace EventCase.EventStore;

/// <summary>
/// Tells subscribers (projection daemons) that appends committed, with a NOTIFY sent after the commit in a tiny
/// transaction of its own (committed asynchronously: it waits for no WAL flush). Coalesced: while one notification is being sent, any number of further signals cause
/// exactly one more, so a burst of appends costs a few notifications, and every append is followed by one that was
/// sent after it committed. Paced: notifications go out at most once per <see cref="MinimumSpacing"/>, so a steady stream
/// of appends (thousands a second) costs a few hundred tiny transactions a second rather than one per append, for a
/// wake-up delay of at most that spacing. Failures are ignored: subscribers poll as a fallback. Thread safe.
/// </summary>
internal sealed class AppendNotifier(NpgsqlDataSource dataSource, string channel)
{
    private const int Idle = 0;
    private const int Sending = 1;
    private const int SendingAndPending = 2;
    // A NOTIFY draws a transaction id, so its commit is a WAL record that synchronous_commit would wait to flush:
    // a wake-up hint needs no durability, so this one transaction commits asynchronously and never waits on the disk.
    private readonly string _sql = $"SELECT set_config('synchronous_commit', 'off', true), pg_notify('{channel}', '')";
    private int _state;
    private long _lastSent;

    /// <summary>The least time between two notifications: a subscriber learns of an append at most this much later.</summary>
    internal static readonly TimeSpan MinimumSpacing = TimeSpan.FromMilliseconds(5);

    public void Signal()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == SendingAndPending)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                if (state == Idle)
                {
                    _ = SendAsync();
                }

                return;
            }
        }
    }

    private async Task SendAsync()
    {
        while (true)
        {
            var sinceLast = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastSent));
            if (sinceLast < MinimumSpacing)
            {
                await Task.Delay(MinimumSpacing - sinceLast);
            }

            // The notification about to go out follows every commit signalled so far: they need no other.
            Interlocked.Exchange(ref _state, Sending);
            Volatile.Write(ref _lastSent, Stopwatch.GetTimestamp());
            try
            {
                await using var command = dataSource.CreateCommand(_sql);
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ObjectDisposedException or TimeoutException)
            {
                // Subscribers poll; a lost wake-up only delays them by a poll interval.
            }

            if (Interlocked.CompareExchange(ref _state, Idle, Sending) == Sending)
            {
                return;
            }

            // Signals arrived while sending: send once more, after their commits.
        }
    }
}
