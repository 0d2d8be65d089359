using EventCase.EventStore;
using Npgsql;

namespace EventCase.Cases.Linking;

/// <summary>
/// One agency's lock on the links that hang a case under a parent that has a parent of its own, held from loading the
/// two cases and the parent's ancestry until their append has committed (a transaction-scoped PostgreSQL advisory lock
/// on a connection of its own, released when disposed).
/// </summary>
/// <remarks>
/// The ancestry a link is decided on is read, not appended to: the append names only the child and the parent. Two links
/// of four cases made at once (x under y where y is under u, and u under v where v is under x) touch disjoint cases,
/// both find no cycle and both commit, closing the loop x → y → u → v → x. Parent links are never removed and a case
/// takes one parent at most, so the only way a parent's ancestry can grow is its topmost case taking a parent. A link
/// whose parent has no parent appends to that topmost case itself, so a concurrent change fails its append; one whose
/// parent has a parent takes this lock, so it never decides while another such link is under way. The links that do not
/// take the lock (the common case: a child under a case at the top) stay as concurrent as before.
/// </remarks>
internal sealed class CaseLinkLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private CaseLinkLock(NpgsqlConnection connection, NpgsqlTransaction transaction) => (_connection, _transaction) = (connection, transaction);

    /// <summary>Waits for <paramref name="agency"/>'s link lock in <paramref name="store"/>'s schema and takes it.</summary>
    public static async Task<CaseLinkLock> TakeAsync(PostgresEventStore store, AgencyId agency, CancellationToken cancellationToken)
    {
        var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{store.Options.Schema}/case-links/{agency.Value}" });
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new CaseLinkLock(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Ending the transaction releases the lock; a connection that broke meanwhile released it when it closed.
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
