namespace EventCase.EventStore.Embedded;

/// <summary>What an embedded cluster's data directory says about it, as shown by <c>eventcase db status</c>.</summary>
/// <param name="DataDirectory">The PostgreSQL data directory.</param>
/// <param name="IsInitialized">Whether the directory holds a cluster (<c>initdb</c> has run).</param>
/// <param name="IsRunning">Whether a live server process owns the directory.</param>
/// <param name="ProcessId">The server's process id when running.</param>
/// <param name="Port">The server's TCP port when running.</param>
/// <param name="LogPath">The server log file.</param>
public sealed record EmbeddedPostgresStatus(
    string DataDirectory,
    bool IsInitialized,
    bool IsRunning,
    int? ProcessId,
    int? Port,
    string LogPath)
{
    /// <summary>The connection string of the running server, or null when it is not running.</summary>
    public string? ConnectionString => IsRunning && Port is { } port ? EmbeddedPostgres.ConnectionStringFor(port) : null;
}
