using EventCase.EventStore.Embedded;
using Npgsql;

namespace EventCase.Testing;

/// <summary>
/// The one PostgreSQL server a test process uses: the server <c>EVENTCASE_TEST_CONNECTION</c> points at, or else a
/// temporary embedded cluster (fast durability, 300 connections) started on first use and stopped when the
/// process ends.
/// </summary>
/// <remarks>
/// The cluster is a process-wide lazy singleton, so every test assembly process starts at most one cluster, and
/// only if one of its tests needs a database. It is stopped by <see cref="PostgresClusterFixture"/> when a test
/// assembly registers it as an assembly fixture, and otherwise on <see cref="AppDomain.ProcessExit"/>; a cluster
/// left behind by a killed process is removed by the next run's start.
/// <para>
/// With <c>EVENTCASE_TEST_HOLD_XMIN=1</c> the server also gets a <see cref="XminHolder"/>, which keeps a transaction
/// open most of the time, as other test classes sharing the server do now and then: a test that reads the global log
/// or an asynchronous read model right after writing, without waiting, then fails every time instead of once in a
/// while.
/// </para>
/// </remarks>
public static class TestCluster
{
    /// <summary>Points the tests at an existing server (a connection string of a user allowed to create databases).</summary>
    public const string ConnectionVariable = "EVENTCASE_TEST_CONNECTION";

    /// <summary>Set to <c>1</c> to run a <see cref="XminHolder"/> on the server for the whole run.</summary>
    public const string HoldXminVariable = "EVENTCASE_TEST_HOLD_XMIN";

    private static readonly Lock Sync = new();
    private static Task<Server>? _server;
    private static bool _stopped;

    /// <summary>The embedded cluster, when one was started (null when <c>EVENTCASE_TEST_CONNECTION</c> is used or nothing started yet).</summary>
    public static EmbeddedPostgres? Embedded =>
        _server is { IsCompletedSuccessfully: true } server ? server.Result.Embedded : null;

    /// <summary>The connection string of the server's maintenance database, starting the embedded cluster on first use.</summary>
    public static async Task<string> GetConnectionStringAsync(CancellationToken cancellationToken = default) =>
        (await GetServerAsync(cancellationToken)).ConnectionString;

    /// <summary>A data source on the server's maintenance database, for creating and dropping databases. Do not dispose it.</summary>
    public static async Task<NpgsqlDataSource> GetAdminDataSourceAsync(CancellationToken cancellationToken = default) =>
        (await GetServerAsync(cancellationToken)).Admin;

    /// <summary>Stops the embedded cluster (if this process started one). Later use fails. Idempotent.</summary>
    public static async Task StopAsync()
    {
        Task<Server>? server;
        lock (Sync)
        {
            _stopped = true;
            server = _server;
            _server = null;
        }

        if (server is null)
        {
            return;
        }

        try
        {
            var started = await server;
            if (started.Holder is not null)
            {
                await started.Holder.DisposeAsync();
            }

            await started.Admin.DisposeAsync();
            if (started.Embedded is not null)
            {
                await started.Embedded.DisposeAsync();
            }
        }
        catch (Exception e) when (e is EmbeddedPostgresException or NpgsqlException or InvalidOperationException)
        {
            // It never started; the failure was reported to the tests that needed it.
        }
    }

    private static Task<Server> GetServerAsync(CancellationToken cancellationToken)
    {
        lock (Sync)
        {
            if (_stopped)
            {
                throw new InvalidOperationException("The test PostgreSQL cluster has already been stopped for this process.");
            }

            if (_server is null)
            {
                // Not tied to the first caller's token: the cluster serves every test of the process.
                _server = Task.Run(StartServerAsync, CancellationToken.None);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAsync().GetAwaiter().GetResult();
            }

            return _server.WaitAsync(cancellationToken);
        }
    }

    private static async Task<Server> StartServerAsync()
    {
        var server = await StartOrConnectAsync();
        return Environment.GetEnvironmentVariable(HoldXminVariable) == "1"
            ? server with { Holder = XminHolder.Start(server.Admin) }
            : server;
    }

    private static async Task<Server> StartOrConnectAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new Server(configured, NpgsqlDataSource.Create(configured), null);
        }

        var embedded = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
        {
            Mode = EmbeddedPostgresMode.Temporary,
            Durability = EmbeddedPostgresDurability.Fast,
            // Test classes run in parallel, each with its own database and connection pool.
            Settings = new Dictionary<string, string> { ["max_connections"] = "300" },
        });
        return new Server(embedded.ConnectionString, NpgsqlDataSource.Create(embedded.ConnectionString), embedded);
    }

    private sealed record Server(string ConnectionString, NpgsqlDataSource Admin, EmbeddedPostgres? Embedded)
    {
        public XminHolder? Holder { get; init; }
    }
}
