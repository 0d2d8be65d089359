namespace EventCase.Hosting;

/// <summary>Where EventCase keeps its embedded PostgreSQL cluster when no connection string is given.</summary>
public static class EventCaseDataDirectory
{
    /// <summary>The environment variable that overrides <see cref="Default"/>.</summary>
    public const string EnvironmentVariable = "EVENTCASE_DATA_DIR";

    /// <summary>
    /// The default data directory of the embedded cluster: <c>$EVENTCASE_DATA_DIR</c>, else <c>$XDG_DATA_HOME/eventcase/postgres</c>
    /// or <c>~/.local/share/eventcase/postgres</c>; as root <c>/var/lib/eventcase/postgres</c>, which the unprivileged
    /// <c>postgres</c> user PostgreSQL then runs as can traverse (a root home directory is not).
    /// </summary>
    /// <remarks>
    /// The service, the <c>eventcase</c> CLI and embedding hosts share this rule, so that <c>eventcase replay</c> reads
    /// what a host wrote.
    /// </remarks>
    public static string Default()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        if (OperatingSystem.IsLinux() && Environment.UserName == "root")
        {
            return "/var/lib/eventcase/postgres";
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg;
        return Path.Combine(root, "eventcase", "postgres");
    }
}
