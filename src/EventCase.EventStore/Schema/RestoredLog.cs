using System.Globalization;
using Npgsql;

namespace EventCase.EventStore.Schema;

/// <summary>
/// A log restored with <c>pg_dump</c>/<c>pg_restore</c> into another PostgreSQL cluster carries the transaction ids of
/// the cluster it came from, which run ahead of the new cluster's. The log's order is (transaction id, position) and
/// what a reader may see is what is below the oldest transaction still running, so on such a log the restored events
/// look in flight to every reader, events written afterwards sort before them, and an append that writes to a
/// restored stream after another stream meets a "younger" head and is refused, over and over. A physical backup
/// (<c>pg_basebackup</c>, point-in-time recovery) and a logical restore into the same cluster keep the counter, and are
/// not affected.
/// </summary>
internal static class RestoredLog
{
    /// <summary>
    /// The newest event's transaction id and the server's next one, when the log runs ahead of the server; null when
    /// it does not (or holds nothing). On a log written on this server every visible event's transaction id is below
    /// the next one, so this is never a false alarm.
    /// </summary>
    public static async Task<(ulong Newest, ulong ServerNext)?> AheadOfServerAsync(NpgsqlConnection connection, string schema, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT (SELECT max(transaction_id) FROM {schema}.events)::text, pg_snapshot_xmax(pg_current_snapshot())::text", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (reader.IsDBNull(0))
        {
            return null;
        }

        var newest = ulong.Parse(reader.GetString(0), CultureInfo.InvariantCulture);
        var next = ulong.Parse(reader.GetString(1), CultureInfo.InvariantCulture);
        return newest >= next ? (newest, next) : null;
    }

    /// <summary>The refusal of a host that meets such a log at start: what happened, and the two ways out.</summary>
    public static InvalidOperationException Refusal(string schema, ulong newest, ulong serverNext)
    {
        var epoch = ((newest >> 32) + 1).ToString(CultureInfo.InvariantCulture);
        return new InvalidOperationException(
            $"The event log in schema '{schema}' holds transaction ids ahead of this PostgreSQL server's (its newest event's is " +
            newest.ToString(CultureInfo.InvariantCulture) + ", the server's next is " + serverNext.ToString(CultureInfo.InvariantCulture) +
            "): it was restored with pg_dump/pg_restore from another cluster. Events written now would sort before the restored " +
            "ones and no projection would see them, so nothing was written. Either restore again into a cluster whose " +
            $"transaction epoch is above the old one's (pg_resetwal -e {epoch} on the new cluster, stopped, before the restore), " +
            "or run `eventcase adopt-restored-log` once: it moves the restored events' transaction ids into this server's past, " +
            "keeping their content, hashes and order within each stream, and has every projection rebuilt.");
    }

    /// <summary>
    /// Moves the transaction ids of the events that run ahead of the server into its past, in one transaction that holds
    /// off appends: each gets the lowest normal transaction id (3), so the restored events keep their position order,
    /// which within every stream is its version order, and sort before anything written on this server. What a hash
    /// covers is unchanged. Every projection's rebuild is requested, since its checkpoint is a place in the old order.
    /// </summary>
    /// <returns>The number of events moved; 0 when the log does not run ahead of the server.</returns>
    public static async Task<long> AdoptAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Appends insert into the log: this lock waits for those under way and holds off new ones until the commit.
        await using (var lockLog = new NpgsqlCommand($"LOCK TABLE {schema}.events IN SHARE ROW EXCLUSIVE MODE", connection, transaction))
        {
            await lockLog.ExecuteNonQueryAsync(cancellationToken);
        }

        if (await AheadOfServerAsync(connection, schema, transaction, cancellationToken) is null)
        {
            return 0;
        }

        long moved;
        await using (var move = new NpgsqlCommand(
            $"UPDATE {schema}.events SET transaction_id = '3' WHERE transaction_id >= pg_snapshot_xmax(pg_current_snapshot())", connection, transaction))
        {
            moved = await move.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var rebuild = new NpgsqlCommand(
            $"UPDATE {schema}.projections SET rebuild_requested_at = now(), updated_at = now()", connection, transaction))
        {
            await rebuild.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return moved;
    }
}
