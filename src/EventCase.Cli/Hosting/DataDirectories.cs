namespace EventCase.Cli.Hosting;

/// <summary>
/// Where EventCase keeps its embedded PostgreSQL when no connection string is given: the same place for the server
/// and the CLI, so <c>eventcase db start</c> and <c>eventcase serve</c> share one cluster.
/// </summary>
internal static class DataDirectories
{
    /// <summary>
    /// <c>$EVENTCASE_DATA_DIR</c> when set; as root <c>/var/lib/eventcase/postgres</c> (the unprivileged OS user the
    /// server runs as must be able to reach it, which a home directory under /root is not); otherwise
    /// <c>$XDG_DATA_HOME/eventcase/postgres</c>, by default <c>~/.local/share/eventcase/postgres</c>.
    /// </summary>
    public static string DefaultPostgresDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("EVENTCASE_DATA_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        if (Environment.UserName == "root")
        {
            return "/var/lib/eventcase/postgres";
        }

        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        return Path.Combine(dataHome, "eventcase", "postgres");
    }
}
