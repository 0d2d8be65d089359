using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;

namespace EventCase.EventStore.Embedded;

/// <summary>
/// A private PostgreSQL cluster run from the machine's PostgreSQL binaries, for when no connection string is
/// configured: the tests, the benchmarks, and the server and command line on a developer machine.
/// </summary>
/// <remarks>
/// <para>
/// The server listens on a free port on 127.0.0.1 only, without a Unix socket, and trusts every local
/// connection as user <c>postgres</c>: it is meant for one machine, never for exposure to a network.
/// </para>
/// <para>
/// PostgreSQL refuses to run as root. When this process is root, <c>initdb</c> and the server run as an
/// unprivileged OS user (<see cref="EmbeddedPostgresOptions.OsUser"/>) through <c>runuser</c>, and the
/// directories the cluster lives in are given to that user.
/// </para>
/// <para>
/// Start, stop and dispose are serialised; the instance can be shared between threads.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var postgres = await EmbeddedPostgres.StartAsync(EmbeddedPostgresOptions.Temporary(), cancellationToken);
/// await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
/// </code>
/// </example>
public sealed partial class EmbeddedPostgres : IAsyncDisposable
{
    private const string OwnerFileName = "owner";
    private const int StartAttempts = 3;
    private static readonly TimeSpan OrphanGracePeriod = TimeSpan.FromMinutes(10);

    private readonly EmbeddedPostgresOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string? _temporaryDirectory;
    private string? _binDirectory;
    private string? _osUser;
    private int? _port;
    private bool _startedByThisInstance;
    private bool _disposed;

    /// <summary>Prepares a cluster; nothing happens on disk until <see cref="StartAsync(CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (a persistent cluster without a data directory, a bad setting name).</exception>
    public EmbeddedPostgres(EmbeddedPostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var name in options.Settings.Keys)
        {
            if (!SettingName().IsMatch(name))
            {
                throw new ArgumentException($"'{name}' is not a PostgreSQL setting name.", nameof(options));
            }
        }

        _options = options;
        if (options.Mode == EmbeddedPostgresMode.Persistent)
        {
            if (string.IsNullOrWhiteSpace(options.DataDirectory))
            {
                throw new ArgumentException("A persistent embedded cluster needs a DataDirectory.", nameof(options));
            }

            DataDirectory = Path.GetFullPath(options.DataDirectory);
            LogPath = Path.Combine(DataDirectory, "eventcase-server.log");
        }
        else
        {
            TemporaryRoot = Path.GetFullPath(options.TemporaryRoot ?? DefaultTemporaryRoot());
            _temporaryDirectory = Path.Combine(
                TemporaryRoot,
                string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}-{Guid.NewGuid():N}")[..40]);
            DataDirectory = Path.Combine(_temporaryDirectory, "data");
            LogPath = Path.Combine(_temporaryDirectory, "server.log");
        }
    }

    /// <summary>The PostgreSQL data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The server log file (stdout and stderr of the server).</summary>
    public string LogPath { get; }

    /// <summary>The directory under which temporary clusters live, or null for a persistent cluster.</summary>
    public string? TemporaryRoot { get; }

    /// <summary>Temporary or persistent.</summary>
    public EmbeddedPostgresMode Mode => _options.Mode;

    /// <summary>Whether the server is running (started or attached to by this instance, and not stopped since).</summary>
    public bool IsRunning => _port is not null;

    /// <summary>
    /// Whether <see cref="StartAsync(CancellationToken)"/> found a server from the data directory already running
    /// and attached to it instead of starting one.
    /// </summary>
    public bool AttachedToRunningServer { get; private set; }

    /// <summary>The directory of the PostgreSQL programs in use, once started.</summary>
    public string? BinDirectory => _binDirectory;

    /// <summary>The OS user the server runs as when this process is root, or null when it runs as the current user.</summary>
    public string? OsUser => _osUser;

    /// <summary>The TCP port on 127.0.0.1.</summary>
    /// <exception cref="InvalidOperationException">The server is not running.</exception>
    public int Port => _port ?? throw new InvalidOperationException("The embedded PostgreSQL server is not running; call StartAsync first.");

    /// <summary>
    /// <c>Host=127.0.0.1;Port=…;Username=postgres;Database=postgres</c> of the running server.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is not running.</exception>
    public string ConnectionString => ConnectionStringFor(Port);

    /// <summary>Creates a cluster with <paramref name="options"/> and starts it.</summary>
    /// <exception cref="PostgresBinariesNotFoundException">No PostgreSQL binaries were found.</exception>
    /// <exception cref="EmbeddedPostgresException">The cluster could not be created or started; the message holds the server log's tail.</exception>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, CancellationToken cancellationToken = default)
    {
        var postgres = new EmbeddedPostgres(options);
        try
        {
            await postgres.StartAsync(cancellationToken);
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates the cluster if needed and starts the server, or attaches to the server already running from a
    /// persistent data directory. Returns once the server accepts connections. Does nothing when already running.
    /// In temporary mode, first removes temporary clusters whose owning process is gone.
    /// </summary>
    /// <remarks>
    /// Cancelling lets a running <c>initdb</c> or <c>pg_ctl start</c> finish, so that the data directory is left whole
    /// (an initdb killed half-way left one no start could use), and stops a server this call started with
    /// <c>pg_ctl stop -m fast</c>, so that the next start needs no crash recovery. It then throws
    /// <see cref="OperationCanceledException"/>.
    /// </remarks>
    /// <exception cref="PostgresBinariesNotFoundException">No PostgreSQL binaries were found.</exception>
    /// <exception cref="EmbeddedPostgresException">The cluster could not be created or started; the message holds the server log's tail.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_port is not null)
            {
                return;
            }

            _binDirectory ??= PostgresBinaries.Locate(_options.BinDirectory);
            _osUser ??= await ResolveOsUserAsync(cancellationToken);

            if (_options.Mode == EmbeddedPostgresMode.Temporary)
            {
                await RemoveStaleTemporaryClustersAsync(cancellationToken);
                await PrepareTemporaryDirectoryAsync(cancellationToken);
                await InitDbAsync(cancellationToken);
            }
            else
            {
                if (ReadRunningServer() is { Port: { } runningPort })
                {
                    // A second postmaster on the same directory would be refused anyway; use the one that runs.
                    await WaitUntilAcceptingConnectionsAsync(runningPort, cancellationToken);
                    _port = runningPort;
                    AttachedToRunningServer = true;
                    return;
                }

                await PreparePersistentDirectoryAsync(cancellationToken);
                if (!IsInitialized)
                {
                    await InitDbAsync(cancellationToken);
                }
            }

            await StartServerAsync(cancellationToken);
            _startedByThisInstance = true;
            AttachedToRunningServer = false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops the server running from the data directory (<c>pg_ctl stop -m fast</c>), whether this instance
    /// started it or attached to it. Does nothing when no server runs. Keeps the files.
    /// </summary>
    /// <exception cref="EmbeddedPostgresException">The server did not stop.</exception>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync("fast", cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What the data directory says about the cluster, without starting anything.</summary>
    public EmbeddedPostgresStatus GetStatus()
    {
        var running = ReadRunningServer();
        return new EmbeddedPostgresStatus(DataDirectory, IsInitialized, running is not null, running?.Pid, running?.Port, LogPath);
    }

    /// <summary>
    /// Temporary cluster: stops the server and deletes its directory; never throws. Persistent cluster: stops the
    /// server if this instance started it, unless <see cref="EmbeddedPostgresOptions.LeaveRunningOnDispose"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_options.Mode == EmbeddedPostgresMode.Temporary)
            {
                await DisposeTemporaryAsync();
            }
            else if (_startedByThisInstance && !_options.LeaveRunningOnDispose && _port is not null)
            {
                await StopCoreAsync("fast", CancellationToken.None);
            }
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }

    internal static string ConnectionStringFor(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres");

    internal static string DefaultTemporaryRoot()
    {
        var user = Environment.UserName;
        var safeUser = string.IsNullOrEmpty(user) ? "user" : UnsafePathCharacters().Replace(user, "_");
        return Path.Combine(Path.GetTempPath(), "eventcase-pg-" + safeUser);
    }

    private bool IsInitialized => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    private string Program(string name) => Path.Combine(_binDirectory!, name);

    private async Task<string?> ResolveOsUserAsync(CancellationToken cancellationToken)
    {
        if (!OsProcess.IsRoot)
        {
            return null;
        }

        if (_options.OsUser is { } configured)
        {
            return await OsProcess.UserExistsAsync(configured, cancellationToken)
                ? configured
                : throw new EmbeddedPostgresException(
                    $"This process runs as root, so PostgreSQL must run as an unprivileged OS user, but the configured user '{configured}' does not exist. Create it (useradd --system {configured}) or choose another OsUser.");
        }

        foreach (var candidate in (string[])["postgres", "nobody"])
        {
            if (await OsProcess.UserExistsAsync(candidate, cancellationToken))
            {
                return candidate;
            }
        }

        throw new EmbeddedPostgresException(
            "This process runs as root and PostgreSQL refuses to run as root, but neither the OS user 'postgres' nor 'nobody' exists. Create one (useradd --system postgres) or set OsUser.");
    }

    private async Task PrepareTemporaryDirectoryAsync(CancellationToken cancellationToken)
    {
        const UnixFileMode traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_temporaryDirectory!);
        }
        else
        {
            Directory.CreateDirectory(TemporaryRoot!, traversable);
            Directory.CreateDirectory(_temporaryDirectory!, traversable);
        }

        // Written first, so that a process killed at any later point leaves a directory the next run can judge.
        using (var self = Process.GetCurrentProcess())
        {
            await File.WriteAllTextAsync(
                Path.Combine(_temporaryDirectory!, OwnerFileName),
                string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{self.StartTime.ToUniversalTime().Ticks}\n"),
                cancellationToken);
        }

        if (_osUser is not null)
        {
            await OsProcess.ChownAsync(_temporaryDirectory!, _osUser, cancellationToken);
            await EnsureOsUserCanWriteAsync(_temporaryDirectory!, cancellationToken);
        }
    }

    private async Task PreparePersistentDirectoryAsync(CancellationToken cancellationToken)
    {
        var fresh = !Directory.Exists(DataDirectory) || !Directory.EnumerateFileSystemEntries(DataDirectory).Any();
        Directory.CreateDirectory(DataDirectory);
        if (_osUser is null)
        {
            return;
        }

        if (fresh)
        {
            await OsProcess.ChownAsync(DataDirectory, _osUser, cancellationToken);
        }

        await EnsureOsUserCanWriteAsync(DataDirectory, cancellationToken);
    }

    private async Task EnsureOsUserCanWriteAsync(string directory, CancellationToken cancellationToken)
    {
        var check = await OsProcess.RunAsync("test", ["-w", directory, "-a", "-x", directory], _osUser, _options.Timeout, cancellationToken);
        if (!check.Succeeded)
        {
            throw new EmbeddedPostgresException(
                $"This process runs as root, so PostgreSQL runs as the OS user '{_osUser}', but that user cannot write to {directory}. " +
                "Every parent directory must be traversable by that user (chmod o+x), and the directory itself must belong to it. " +
                "Choose a data directory under a traversable path (for example /var/lib/eventcase), make the parents traversable, " +
                "or run as a normal user." + (check.Output.Length > 0 ? " (" + check.Output + ")" : ""), check.ExitCode);
        }
    }

    private async Task InitDbAsync(CancellationToken cancellationToken)
    {
        List<string> args = ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"];
        if (_options.Mode == EmbeddedPostgresMode.Temporary)
        {
            args.Add("--no-sync");
        }

        var result = await OsProcess.RunAsync(Program("initdb"), args, _osUser, _options.Timeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new EmbeddedPostgresException(
                $"initdb failed (exit code {result.ExitCode}) for {DataDirectory}{AsUser()}:\n{result.Output}", result.ExitCode);
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            var logOffset = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
            ProcessResult result;
            try
            {
                result = await OsProcess.RunAsync(
                    Program("pg_ctl"),
                    ["start", "-D", DataDirectory, "-w", "-t", TimeoutSeconds(), "-l", LogPath, "-o", ServerOptions(port)],
                    _osUser,
                    _options.Timeout + TimeSpan.FromSeconds(10),
                    cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Cancelled while pg_ctl ran, which was let finish: the server it started is stopped cleanly.
                await StopAfterFailedStartAsync();
                throw;
            }
            if (result.Succeeded)
            {
                try
                {
                    await WaitUntilAcceptingConnectionsAsync(port, cancellationToken);
                }
                catch
                {
                    // A start that does not return a running server leaves none behind, as it found none.
                    await StopAfterFailedStartAsync();
                    throw;
                }

                _port = port;
                return;
            }

            // Between probing the port and the server binding it, another process may have taken it.
            var log = ReadLogFrom(logOffset);
            var portTaken = log.Contains("could not bind", StringComparison.Ordinal) ||
                log.Contains("Address already in use", StringComparison.Ordinal);
            if (!portTaken || attempt == StartAttempts)
            {
                throw new EmbeddedPostgresException(
                    $"PostgreSQL did not start from {DataDirectory}{AsUser()} (pg_ctl exit code {result.ExitCode}):\n{result.Output}\n{LogTail()}", result.ExitCode);
            }
        }
    }

    private async Task StopAfterFailedStartAsync()
    {
        try
        {
            await StopCoreAsync("fast", CancellationToken.None);
        }
        catch (EmbeddedPostgresException)
        {
            // What failed first is what to report; the status names a server left running.
        }
    }

    private string ServerOptions(int port)
    {
        var settings = new List<KeyValuePair<string, string>>
        {
            new("listen_addresses", "127.0.0.1"),
            // No Unix socket: its directory would need permissions for the unprivileged user, and TCP is enough.
            new("unix_socket_directories", ""),
        };
        if (_options.Durability == EmbeddedPostgresDurability.Fast)
        {
            settings.Add(new("fsync", "off"));
            settings.Add(new("synchronous_commit", "off"));
            settings.Add(new("full_page_writes", "off"));
        }

        settings.AddRange(_options.Settings);
        // pg_ctl hands -o to the server through /bin/sh, hence the shell quoting.
        return string.Create(CultureInfo.InvariantCulture, $"-p {port} ") +
            string.Join(' ', settings.Select(s => $"-c {s.Key}={OsProcess.ShellQuote(s.Value)}"));
    }

    private async Task WaitUntilAcceptingConnectionsAsync(int port, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStringFor(port)) { Pooling = false, Timeout = 5 };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                if (deadline.Elapsed > _options.Timeout)
                {
                    throw new EmbeddedPostgresException(
                        $"PostgreSQL from {DataDirectory} did not accept connections on 127.0.0.1:{port} within {_options.Timeout.TotalSeconds:0} s: {e.Message}\n{LogTail()}",
                        e);
                }

                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private async Task StopCoreAsync(string mode, CancellationToken cancellationToken)
    {
        if (ReadRunningServer() is null)
        {
            _port = null;
            return;
        }

        _binDirectory ??= PostgresBinaries.Locate(_options.BinDirectory);
        _osUser ??= await ResolveOsUserAsync(cancellationToken);
        var result = await OsProcess.RunAsync(
            Program("pg_ctl"),
            ["stop", "-D", DataDirectory, "-m", mode, "-w", "-t", TimeoutSeconds()],
            _osUser,
            _options.Timeout + TimeSpan.FromSeconds(10),
            cancellationToken);
        if (!result.Succeeded && ReadRunningServer() is not null)
        {
            throw new EmbeddedPostgresException(
                $"PostgreSQL from {DataDirectory} did not stop (pg_ctl stop -m {mode}, exit code {result.ExitCode}):\n{result.Output}\n{LogTail()}", result.ExitCode);
        }

        _port = null;
        AttachedToRunningServer = false;
    }

    private async Task DisposeTemporaryAsync()
    {
        try
        {
            await StopCoreAsync("fast", CancellationToken.None);
        }
        catch (EmbeddedPostgresException)
        {
            await StopForcefullyAsync(DataDirectory, _osUser, _binDirectory);
        }

        _port = null;
        DeleteDirectory(_temporaryDirectory!);
    }

    // ---- the postmaster.pid file -------------------------------------------------------------------------------

    private sealed record RunningServer(int Pid, int? Port);

    private RunningServer? ReadRunningServer() => ReadRunningServer(DataDirectory);

    /// <summary>
    /// The server recorded in <c>postmaster.pid</c> if its process is alive. Line 1 is the pid, line 4 the port
    /// (see PostgreSQL's <c>pidfile.h</c>). A stale file left by a crash names a dead pid and is ignored.
    /// </summary>
    private static RunningServer? ReadRunningServer(string dataDirectory)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path.Combine(dataDirectory, "postmaster.pid"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length == 0 || !int.TryParse(lines[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !OsProcess.IsAlive(pid))
        {
            return null;
        }

        int? port = lines.Length > 3 && int.TryParse(lines[3].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
        return new RunningServer(pid, port);
    }

    // ---- temporary clusters left behind -------------------------------------------------------------------------

    /// <summary>
    /// Removes the temporary clusters under <see cref="TemporaryRoot"/> whose owning process is gone (killed
    /// before it could dispose): stops their server with <c>pg_ctl stop -m immediate</c> and deletes the directory.
    /// Best effort: a directory it cannot judge or remove is left alone.
    /// </summary>
    private async Task RemoveStaleTemporaryClustersAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(TemporaryRoot))
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(TemporaryRoot))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (!IsStale(directory))
                {
                    continue;
                }

                await StopForcefullyAsync(Path.Combine(directory, "data"), _osUser, _binDirectory);
                DeleteDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or EmbeddedPostgresException)
            {
                // Someone else's, or being removed concurrently by another process: not ours to fight over.
            }
        }
    }

    private static bool IsStale(string directory)
    {
        var ownerFile = Path.Combine(directory, OwnerFileName);
        if (!File.Exists(ownerFile))
        {
            // Either just being created by a concurrent start, or a start killed before writing the owner.
            return DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) > OrphanGracePeriod;
        }

        var lines = File.ReadAllLines(ownerFile);
        if (lines.Length < 2 ||
            !int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startTicks))
        {
            return DateTime.UtcNow - File.GetLastWriteTimeUtc(ownerFile) > OrphanGracePeriod;
        }

        return !IsSameProcessAlive(pid, startTicks);
    }

    private static bool IsSameProcessAlive(int pid, long startTicks)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }

            // A recycled pid belongs to a process started at another time. When in doubt, it is alive:
            // deleting a live cluster would break another test run.
            var started = process.StartTime.ToUniversalTime().Ticks;
            return Math.Abs(started - startTicks) < TimeSpan.TicksPerSecond * 2;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return true;
        }
    }

    private static async Task StopForcefullyAsync(string dataDirectory, string? osUser, string? binDirectory)
    {
        var running = ReadRunningServer(dataDirectory);
        if (running is null)
        {
            return;
        }

        if (binDirectory is not null)
        {
            try
            {
                await OsProcess.RunAsync(
                    Path.Combine(binDirectory, "pg_ctl"),
                    ["stop", "-D", dataDirectory, "-m", "immediate", "-w", "-t", "30"],
                    osUser,
                    TimeSpan.FromSeconds(40),
                    CancellationToken.None);
            }
            catch (EmbeddedPostgresException)
            {
                // Fall through to killing the postmaster.
            }
        }

        // pg_ctl returns once postmaster.pid is gone; the postmaster itself may take a moment more to exit.
        for (var waited = 0; waited < 50 && OsProcess.IsAlive(running.Pid); waited++)
        {
            await Task.Delay(100);
        }

        if (OsProcess.IsAlive(running.Pid))
        {
            try
            {
                using var process = Process.GetProcessById(running.Pid);
                process.Kill(entireProcessTree: true);
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(patience.Token);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or OperationCanceledException)
            {
                // Already gone, or not ours to kill.
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void DeleteDirectory(string directory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 5)
            {
                // A server that has just exited may still be removing its files.
                Thread.Sleep(100 * attempt);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private string ReadLogFrom(long offset)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private string LogTail(int lines = 30)
    {
        var log = ReadLogFrom(0);
        if (log.Length == 0)
        {
            return $"(the server log {LogPath} is empty or missing)";
        }

        var tail = log.Split('\n').TakeLast(lines + 1);
        return $"Last lines of the server log {LogPath}:\n" + string.Join('\n', tail).TrimEnd();
    }

    private string AsUser() => _osUser is null ? "" : $" as OS user '{_osUser}'";

    private string TimeoutSeconds() =>
        ((int)Math.Ceiling(_options.Timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9_.]+$")]
    private static partial Regex SettingName();

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex UnsafePathCharacters();
}
