using Npgsql;

namespace EventCase.Testing;

/// <summary>
/// Keeps a transaction with an xid open on a server most of the time: one after another, each held for a random
/// 50–500 ms, with a pause of 10–50 ms between them. Readers of the global log see only events older than every
/// transaction open anywhere on the server, so while one is held, events committed since it began stay unreadable.
/// </summary>
/// <remarks>
/// It runs on a connection of its own to the data source's database (the maintenance database for
/// <see cref="TestCluster"/>), since the horizon is the whole server's. A failed round (the server restarting, a
/// connection dropped) is retried after the pause, so the holder keeps going as long as the server does.
/// </remarks>
public sealed class XminHolder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private XminHolder(NpgsqlDataSource dataSource) =>
        _loop = Task.Run(() => HoldAsync(dataSource, _stop.Token), CancellationToken.None);

    /// <summary>Starts holding transactions open on <paramref name="dataSource"/>'s server until disposed.</summary>
    public static XminHolder Start(NpgsqlDataSource dataSource) => new(dataSource);

    /// <summary>Stops holding, ending the open transaction, and waits for the loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // How the loop ends.
        }

        _stop.Dispose();
    }

    private static async Task HoldAsync(NpgsqlDataSource dataSource, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                while (true)
                {
                    await using (var transaction = await connection.BeginTransactionAsync(stop))
                    {
                        // A transaction has no xid until it asks for one (or writes); only one with an xid holds the horizon.
                        await using (var take = new NpgsqlCommand("SELECT pg_current_xact_id()", connection, transaction))
                        {
                            await take.ExecuteScalarAsync(stop);
                        }

                        await Task.Delay(Random.Shared.Next(50, 501), stop);
                        await transaction.CommitAsync(stop);
                    }

                    await Task.Delay(Random.Shared.Next(10, 51), stop);
                }
            }
            catch (NpgsqlException)
            {
                await Task.Delay(50, stop);
            }
        }
    }
}
