using System.Collections.Frozen;

namespace EventCase.EventStore.Schema;

/// <summary>
/// PostgreSQL's reserved key words: those it lists as "reserved" or "reserved (can be function or type)"
/// (<c>SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')</c>). The store splices identifiers into the SQL
/// it generates without quotes, and none of these can stand there: a column named <c>order</c> passes every other check
/// and then fails the migration with a syntax error (42601). The other key words ("non-reserved", with or without
/// "cannot be function or type") are accepted: a test runs a projection whose columns are all of them.
/// </summary>
internal static class ReservedKeywords
{
    // PostgreSQL 15's list, and system_user, reserved since 16. A test checks that the server the tests run on reserves
    // nothing that is missing here.
    private static readonly FrozenSet<string> Words = FrozenSet.ToFrozenSet(
    [
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both",
        "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross",
        "current_catalog", "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
        "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for",
        "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
        "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
        "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing",
        "primary", "references", "returning", "right", "select", "session_user", "similar", "some", "symmetric",
        "system_user", "table", "tablesample", "then", "to", "trailing", "true", "union", "unique", "user", "using",
        "variadic", "verbose", "when", "where", "window", "with",
    ], StringComparer.Ordinal);

    /// <summary>Every reserved key word, lower case.</summary>
    public static IReadOnlySet<string> All => Words;

    /// <summary>True when <paramref name="identifier"/> (lower case) is a reserved key word.</summary>
    public static bool Contains(string identifier) => Words.Contains(identifier);
}
