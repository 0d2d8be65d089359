using EventCase.Hosting;

namespace EventCase.Cli.Hosting;

/// <summary>
/// Where EventCase keeps its embedded PostgreSQL when no connection string is given: the server's own rule, so that
/// <c>eventcase db start</c>, <c>eventcase serve</c> and every other command share one cluster.
/// </summary>
internal static class DataDirectories
{
    /// <summary><c>$EVENTCASE_DATA_DIR</c>; as root <c>/var/lib/eventcase/postgres</c>; else <c>$XDG_DATA_HOME/eventcase/postgres</c> or <c>~/.local/share/eventcase/postgres</c>.</summary>
    public static string DefaultPostgresDirectory() => EventCaseDataDirectory.Default();
}
