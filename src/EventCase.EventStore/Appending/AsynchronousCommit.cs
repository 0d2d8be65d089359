using Npgsql;

namespace EventCase.EventStore;

/// <summary>
/// Makes the transaction it runs in commit without waiting for its WAL flush (<c>synchronous_commit = off</c> for that
/// transaction only). For writes whose loss in a crash costs nothing but time: wake-up hints, status reports, caches
/// such as snapshots, projection batches whose source events are durable, and counters whose values only durable
/// writes carry (decisions 0007 and 0008). Put it first in the batch of the transaction it applies to.
/// </summary>
public static class AsynchronousCommit
{
    /// <summary>The statement.</summary>
    public const string Sql = "SELECT set_config('synchronous_commit', 'off', true)";

    /// <summary>A new batch command running <see cref="Sql"/>.</summary>
    public static NpgsqlBatchCommand BatchCommand() => new(Sql);
}
