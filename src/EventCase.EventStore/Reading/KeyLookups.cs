using Npgsql;

namespace EventCase.EventStore;

/// <summary>
/// Makes the transaction it runs in plan without sequential scans (<c>enable_seqscan = off</c> for that transaction
/// only), for statements that look rows up by a known set of keys. They are prepared, and a plan cached while a table
/// was nearly empty would scan it ever after, however large it grows (decision 0013). Put it first in the batch of the
/// transaction it applies to; its one row holds the setting it replaced, for <see cref="RestoreCommand"/>.
/// </summary>
internal static class KeyLookups
{
    /// <summary>A new batch command turning sequential scans off; its result is the setting before.</summary>
    public static NpgsqlBatchCommand BatchCommand() =>
        new("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)");

    /// <summary>A new batch command putting <paramref name="before"/> back, for a transaction that goes on.</summary>
    public static NpgsqlBatchCommand RestoreCommand(string before)
    {
        var command = new NpgsqlBatchCommand("SELECT set_config('enable_seqscan', $1, true)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = before });
        return command;
    }
}
