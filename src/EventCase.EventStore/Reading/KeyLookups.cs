using Npgsql;

namespace EventCase.EventStore;

/// <summary>
/// Makes the transaction it runs in plan key lookups once and through the key: sequential scans off and generic plans
/// forced (<c>enable_seqscan = off</c>, <c>plan_cache_mode = force_generic_plan</c>, for that transaction only), for
/// statements that look rows up by a known set of keys. They are prepared, and a plan cached while a table was nearly
/// empty would scan it ever after, however large it grows (decision 0013); and a lookup of keys given as arrays is
/// otherwise planned again at every execution, since its generic plan's estimate (ten keys) always looks dearer than a
/// custom plan for the one key an append has (decision 0014). Put it first in the batch of the transaction it applies
/// to; its one row holds the settings it replaced, for <see cref="RestoreCommand"/>.
/// </summary>
internal static class KeyLookups
{
    /// <summary>A new batch command making the settings; its result (one text column) is the settings before.</summary>
    public static NpgsqlBatchCommand BatchCommand() =>
        new("""
            SELECT current_setting('enable_seqscan') || ' ' || current_setting('plan_cache_mode'),
                   set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true)
            """);

    /// <summary>A new batch command putting <paramref name="before"/> back, for a transaction that goes on.</summary>
    public static NpgsqlBatchCommand RestoreCommand(string before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var settings = before.Split(' ');
        var command = new NpgsqlBatchCommand("SELECT set_config('enable_seqscan', $1, true), set_config('plan_cache_mode', $2, true)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings[0] });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Length > 1 ? settings[1] : "auto" });
        return command;
    }
}
