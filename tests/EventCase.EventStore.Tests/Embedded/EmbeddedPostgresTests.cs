using System.Diagnostics;
using EventCase.EventStore.Embedded;
using Npgsql;

namespace EventCase.EventStore.Tests.Embedded;

public sealed class EmbeddedPostgresTests : IDisposable
{
    // Each test gets its own temporary root so that stale-cluster cleanup in one test never sees another's clusters.
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "eventcase-embedded-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_scratch))
        {
            Directory.Delete(_scratch, recursive: true);
        }
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private EmbeddedPostgresOptions TemporaryOptions() => new()
    {
        Mode = EmbeddedPostgresMode.Temporary,
        Durability = EmbeddedPostgresDurability.Fast,
        TemporaryRoot = Path.Combine(_scratch, "temp"),
    };

    private EmbeddedPostgresOptions PersistentOptions(bool leaveRunning = false) => new()
    {
        Mode = EmbeddedPostgresMode.Persistent,
        DataDirectory = Path.Combine(_scratch, "persistent", "pgdata"),
        LeaveRunningOnDispose = leaveRunning,
    };

    private static async Task<T?> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T?)await command.ExecuteScalarAsync(Token);
    }

    [Fact]
    public async Task A_temporary_cluster_starts_accepts_connections_and_is_removed_on_dispose()
    {
        var postgres = await EmbeddedPostgres.StartAsync(TemporaryOptions(), Token);
        var directory = Path.GetDirectoryName(postgres.DataDirectory)!;

        Assert.True(postgres.IsRunning);
        Assert.StartsWith("Host=127.0.0.1;Port=", postgres.ConnectionString, StringComparison.Ordinal);
        Assert.EndsWith(";Username=postgres;Database=postgres", postgres.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync<int>(postgres.ConnectionString, "SELECT 1"));
        Assert.Equal("off", await ScalarAsync<string>(postgres.ConnectionString, "SHOW fsync"));
        Assert.Equal("UTF8", await ScalarAsync<string>(postgres.ConnectionString, "SHOW server_encoding"));
        Assert.True(File.Exists(postgres.LogPath));
        var connectionString = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Timeout = 2 }.ConnectionString;

        await postgres.DisposeAsync();

        Assert.False(Directory.Exists(directory));
        Assert.False(postgres.IsRunning);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(connectionString, "SELECT 1"));
    }

    [Fact]
    public async Task Extra_settings_are_passed_to_the_server()
    {
        var options = TemporaryOptions();
        await using var postgres = await EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions
            {
                Mode = options.Mode,
                TemporaryRoot = options.TemporaryRoot,
                Settings = new Dictionary<string, string> { ["max_connections"] = "42", ["application_name"] = "it's quoted" },
            },
            Token);

        Assert.Equal("42", await ScalarAsync<string>(postgres.ConnectionString, "SHOW max_connections"));
        Assert.Equal("on", await ScalarAsync<string>(postgres.ConnectionString, "SHOW fsync"));
    }

    [Fact]
    public async Task A_persistent_cluster_keeps_its_data_across_stop_and_start()
    {
        await using (var first = await EmbeddedPostgres.StartAsync(PersistentOptions(), Token))
        {
            Assert.False(first.AttachedToRunningServer);
            await ScalarAsync<object>(first.ConnectionString, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
            await first.StopAsync(Token);
            Assert.False(first.IsRunning);
            Assert.False(first.GetStatus().IsRunning);
            Assert.True(first.GetStatus().IsInitialized);

            await first.StartAsync(Token);
            Assert.Equal("still here", await ScalarAsync<string>(first.ConnectionString, "SELECT v FROM kept"));
        }

        await using var second = await EmbeddedPostgres.StartAsync(PersistentOptions(), Token);
        Assert.False(second.AttachedToRunningServer);
        Assert.Equal("still here", await ScalarAsync<string>(second.ConnectionString, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task A_persistent_cluster_attaches_to_the_server_already_running_from_its_directory()
    {
        int port;
        await using (var starter = await EmbeddedPostgres.StartAsync(PersistentOptions(leaveRunning: true), Token))
        {
            port = starter.Port;
        }

        await using var attached = await EmbeddedPostgres.StartAsync(PersistentOptions(), Token);
        try
        {
            Assert.True(attached.AttachedToRunningServer);
            Assert.Equal(port, attached.Port);
            Assert.Equal(port, attached.GetStatus().Port);
            Assert.Equal(1, await ScalarAsync<int>(attached.ConnectionString, "SELECT 1"));
        }
        finally
        {
            await attached.StopAsync(Token);
        }

        Assert.False(attached.GetStatus().IsRunning);
    }

    [Fact]
    public async Task Missing_binaries_give_an_error_that_says_where_it_looked_and_how_to_fix_it()
    {
        var bogus = Path.Combine(_scratch, "no-postgres-here");
        var options = TemporaryOptions();

        var error = await Assert.ThrowsAsync<PostgresBinariesNotFoundException>(() => EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { Mode = options.Mode, TemporaryRoot = options.TemporaryRoot, BinDirectory = bogus }, Token));

        Assert.Contains(bogus, error.Message, StringComparison.Ordinal);
        Assert.Contains("initdb", error.Message, StringComparison.Ordinal);
        Assert.Contains("EVENTCASE_PG_BIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bogus_EVENTCASE_PG_BIN_is_reported_rather_than_silently_replaced()
    {
        var error = Assert.Throws<PostgresBinariesNotFoundException>(() => PostgresBinaries.Locate(
            null, name => name == "EVENTCASE_PG_BIN" ? "/bogus/bin" : "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql"));

        Assert.Contains("EVENTCASE_PG_BIN=/bogus/bin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_binaries_anywhere_tells_to_install_postgresql()
    {
        var empty = Path.Combine(_scratch, "empty");
        Directory.CreateDirectory(empty);

        var error = Assert.Throws<PostgresBinariesNotFoundException>(() => PostgresBinaries.Locate(
            null, name => name == "PATH" ? empty : null, Path.Combine(_scratch, "no-debian-root")));

        Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
        Assert.Contains("EVENTCASE_PG_BIN", error.Message, StringComparison.Ordinal);
        Assert.Contains(empty, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Searched.Count);
    }

    [Fact]
    public void Binaries_are_found_under_usr_lib_postgresql_when_not_on_PATH()
    {
        var found = PostgresBinaries.Locate(null, _ => null, "/usr/lib/postgresql");

        Assert.True(File.Exists(Path.Combine(found, "pg_ctl")), found);
    }

    [Fact]
    public async Task A_temporary_cluster_whose_owner_was_killed_is_removed_by_the_next_start()
    {
        var orphan = await EmbeddedPostgres.StartAsync(TemporaryOptions(), Token);
        var orphanDirectory = Path.GetDirectoryName(orphan.DataDirectory)!;
        var orphanPid = File.ReadAllLines(Path.Combine(orphan.DataDirectory, "postmaster.pid"))[0];
        // Pretend the owning process died without disposing: its recorded pid is one that has exited.
        await File.WriteAllTextAsync(Path.Combine(orphanDirectory, "owner"), $"{await DeadPidAsync()}\n0\n", Token);

        await using var next = await EmbeddedPostgres.StartAsync(TemporaryOptions(), Token);

        Assert.False(Directory.Exists(orphanDirectory));
        Assert.False(IsAlive(int.Parse(orphanPid, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(Directory.Exists(Path.GetDirectoryName(next.DataDirectory)));
        await orphan.DisposeAsync();
    }

    [Fact]
    public async Task A_temporary_cluster_of_a_live_process_is_left_alone()
    {
        await using var first = await EmbeddedPostgres.StartAsync(TemporaryOptions(), Token);
        await using var second = await EmbeddedPostgres.StartAsync(TemporaryOptions(), Token);

        Assert.True(first.GetStatus().IsRunning);
        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal(1, await ScalarAsync<int>(first.ConnectionString, "SELECT 1"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task As_root_a_persistent_directory_the_postgres_user_cannot_reach_is_refused_with_a_clear_message()
    {
        if (Environment.UserName != "root")
        {
            Assert.Skip("Only root runs PostgreSQL as another OS user.");
        }

        var locked = Path.Combine(_scratch, "locked");
        Directory.CreateDirectory(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var error = await Assert.ThrowsAsync<EmbeddedPostgresException>(() => EmbeddedPostgres.StartAsync(
            new EmbeddedPostgresOptions { Mode = EmbeddedPostgresMode.Persistent, DataDirectory = Path.Combine(locked, "pgdata") }, Token));

        Assert.Contains("cannot write to", error.Message, StringComparison.Ordinal);
        Assert.Contains("traversable", error.Message, StringComparison.Ordinal);
    }

    private static async Task<int> DeadPidAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync(Token);
        return process.Id;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
