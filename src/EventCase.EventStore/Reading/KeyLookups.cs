using Npgsql;

namespace EventCase.EventStore;

/// <summary>
/// Planner settings for the transactions that look rows up by a known set of keys. Sequential scans are off (decision
/// 0013): a plan cached while a table was nearly empty would scan it ever after, however large it grows. Lookups are
/// planned at every execution (decision 0014): a generic plan made while a table is empty may pick any index that
/// starts with the tenant, and keep it as the table grows; a custom plan is made with the table's current size. The
/// settings hold for the transaction only; where it goes on afterwards, <see cref="RestoreCommand"/> puts back those it
/// replaced.
/// </summary>
internal static class KeyLookups
{
    /// <summary>
    /// A new batch command for a batch of lookups: sequential scans off, custom plans. Its result (one text column)
    /// is the settings before, for <see cref="WritesCommand(string)"/> and <see cref="RestoreCommand"/>.
    /// </summary>
    public static NpgsqlBatchCommand BatchCommand() =>
        new("""
            SELECT current_setting('enable_seqscan') || ' ' || current_setting('plan_cache_mode'),
                   set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)
            """);

    /// <summary>
    /// A new batch command for writes by key that follow lookups in one transaction: sequential scans stay off, and plans
    /// are cached again as <paramref name="before"/> had them (an upsert picks no index of its own: its plan is safe to
    /// keep, and planning it at every execution would cost more than the lookups save).
    /// </summary>
    public static NpgsqlBatchCommand WritesCommand(string before)
    {
        var command = new NpgsqlBatchCommand("SELECT set_config('enable_seqscan', 'off', true), set_config('plan_cache_mode', $1, true)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Setting(before, 1, "auto") });
        return command;
    }

    /// <summary>A new batch command for writes by key in a transaction of their own: sequential scans off.</summary>
    public static NpgsqlBatchCommand WritesCommand() => new("SELECT set_config('enable_seqscan', 'off', true)");

    /// <summary>A new batch command putting <paramref name="before"/> back, for a transaction that goes on.</summary>
    public static NpgsqlBatchCommand RestoreCommand(string before)
    {
        var command = new NpgsqlBatchCommand("SELECT set_config('enable_seqscan', $1, true), set_config('plan_cache_mode', $2, true)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Setting(before, 0, "on") });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Setting(before, 1, "auto") });
        return command;
    }

    private static string Setting(string before, int index, string fallback)
    {
        ArgumentNullException.ThrowIfNull(before);
        var settings = before.Split(' ');
        return settings.Length > index ? settings[index] : fallback;
    }
}
