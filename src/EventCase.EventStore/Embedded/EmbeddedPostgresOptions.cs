namespace EventCase.EventStore.Embedded;

/// <summary>What happens to an embedded cluster's files when it is no longer needed.</summary>
public enum EmbeddedPostgresMode
{
    /// <summary>
    /// A fresh cluster in a new directory under the system temp directory, deleted on dispose. For tests and
    /// benchmarks. Clusters left behind by a process that was killed are removed by the next temporary start.
    /// </summary>
    Temporary,

    /// <summary>
    /// A cluster in <see cref="EmbeddedPostgresOptions.DataDirectory"/>, kept between runs: created on first
    /// use, reused afterwards, and attached to (not started twice) when a server from it is already running.
    /// For the server and the command line.
    /// </summary>
    Persistent,
}

/// <summary>How hard the embedded server works to survive a crash of the machine.</summary>
public enum EmbeddedPostgresDurability
{
    /// <summary>PostgreSQL's defaults: every commit is flushed to disk. For the server and benchmarks.</summary>
    Full,

    /// <summary>
    /// <c>fsync=off</c>, <c>synchronous_commit=off</c>, <c>full_page_writes=off</c>: several times faster, but an
    /// OS crash can corrupt the cluster. For tests only.
    /// </summary>
    Fast,
}

/// <summary>Settings of an <see cref="EmbeddedPostgres"/> cluster. Immutable once handed over.</summary>
public sealed class EmbeddedPostgresOptions
{
    /// <summary>The environment variable that names the directory holding <c>initdb</c> and <c>pg_ctl</c>.</summary>
    public const string BinDirectoryEnvironmentVariable = "EVENTCASE_PG_BIN";

    /// <summary>Temporary (default) or persistent.</summary>
    public EmbeddedPostgresMode Mode { get; init; } = EmbeddedPostgresMode.Temporary;

    /// <summary>
    /// The PostgreSQL data directory of a <see cref="EmbeddedPostgresMode.Persistent"/> cluster (required in that
    /// mode; created when missing). Ignored in temporary mode.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The directory under which temporary clusters are created, each in a directory of its own. Defaults to
    /// <c>eventcase-pg-&lt;user&gt;</c> under the system temp directory. Stale clusters are looked for here.
    /// </summary>
    public string? TemporaryRoot { get; init; }

    /// <summary>
    /// The directory holding <c>initdb</c> and <c>pg_ctl</c>. When null, <c>EVENTCASE_PG_BIN</c>, then <c>PATH</c>,
    /// then the highest <c>/usr/lib/postgresql/*/bin</c> are searched.
    /// </summary>
    public string? BinDirectory { get; init; }

    /// <summary>Full (default) or fast durability.</summary>
    public EmbeddedPostgresDurability Durability { get; init; } = EmbeddedPostgresDurability.Full;

    /// <summary>
    /// Extra server settings passed as <c>-c name=value</c> at start, for example <c>max_connections=200</c>.
    /// Names are letters, digits, underscores and dots.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The unprivileged OS user that runs <c>initdb</c> and the server when this process is root (PostgreSQL
    /// refuses to run as root). When null, <c>postgres</c> is used if it exists, otherwise <c>nobody</c>.
    /// Ignored when this process is not root: the server then runs as the current user.
    /// </summary>
    public string? OsUser { get; init; }

    /// <summary>
    /// In persistent mode, leave a server this instance started running when it is disposed (so that
    /// <c>eventcase db start</c> can return). A server the instance merely attached to is never stopped by dispose.
    /// Ignored in temporary mode.
    /// </summary>
    public bool LeaveRunningOnDispose { get; init; }

    /// <summary>How long to wait for the server to start, stop or accept connections. Default 60 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Options for a temporary cluster with the given durability.</summary>
    public static EmbeddedPostgresOptions Temporary(EmbeddedPostgresDurability durability = EmbeddedPostgresDurability.Full) =>
        new() { Mode = EmbeddedPostgresMode.Temporary, Durability = durability };

    /// <summary>Options for a persistent cluster in <paramref name="dataDirectory"/>.</summary>
    public static EmbeddedPostgresOptions Persistent(string dataDirectory) =>
        new() { Mode = EmbeddedPostgresMode.Persistent, DataDirectory = dataDirectory };
}
