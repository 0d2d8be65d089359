using Npgsql;

namespace EventCase.EventStore;

/// <summary>
/// Tells subscribers (projection daemons) that appends committed, with a NOTIFY sent after the commit in a tiny
/// transaction of its own (committed asynchronously: it waits for no WAL flush). Coalesced: while one notification is being sent, any number of further signals cause
/// exactly one more, so a burst of appends costs a few notifications, and every append is followed by one that was
/// sent after it committed. Failures are ignored: subscribers poll as a fallback. Thread safe.
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
            Interlocked.Exchange(ref _state, Sending);
        }
    }
}
