using System.Net;
using System.Net.Sockets;
using EventCase.Server.Auth;
using EventCase.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Hosting;

/// <summary>
/// A configured database that is not there when the service starts (started beside it, restarting, failing over): the
/// service waits for it up to <c>EventCase:StartupTimeoutSeconds</c>, and then says so in one line with exit code 1,
/// instead of stopping at the first refused connection with an unhandled exception (exit code 134).
/// </summary>
public sealed class DatabaseAtStartupTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_database_that_comes_up_after_the_service_started_is_waited_for()
    {
        var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var port = FreePort();
        var through = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = port };
        using var relay = new DelayedRelay(port, target.Host!, target.Port);
        var log = new LogLines();
        using var factory = new WebApplicationFactory<TokenKeys>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("ConnectionStrings:EventCase", through.ConnectionString);
            builder.UseSetting("Auth:SigningKey", SigningKey);
            builder.UseSetting("EventCase:StartupTimeoutSeconds", "120");
            builder.ConfigureLogging(logging => logging.AddProvider(log));
        });

        // Nothing listens on the port while the service starts; the relay opens it once the service says it was refused.
        var starting = Task.Run(() => factory.Server, Ct);
        while (!log.Contains("The database is not reachable yet"))
        {
            Assert.False(starting.IsCompleted, "the service started, or failed to, without waiting for the database");
            await Task.Delay(50, Ct);
        }

        relay.Open();
        _ = await starting.WaitAsync(TimeSpan.FromSeconds(120), Ct);

        using var client = factory.CreateClient();
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task A_database_still_unreachable_at_the_deadline_is_one_line_saying_what_to_check_and_exit_code_one()
    {
        var unreachable = $"Host=127.0.0.1;Port={FreePort()};Username=nobody;Database=nothing";
        // 5 s, not less: the first attempt must fail with the retry interval (1 s) to spare before the deadline for
        // the retry line to be logged, and a loaded machine took over a second to make it (2 s failed 2 runs in 6).
        var (exit, log, error) = await ServerProcess.RunUntilExitAsync(
            ["--urls", "http://127.0.0.1:0", "--ConnectionStrings:EventCase", unreachable, "--Auth:SigningKey", SigningKey, "--EventCase:StartupTimeoutSeconds", "5"], Ct);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the database could not be reached (waited 5 s, EventCase:StartupTimeoutSeconds): ", line, StringComparison.Ordinal);
        Assert.EndsWith("Check that PostgreSQL is running and that ConnectionStrings:EventCase points at it.", line.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("The database is not reachable yet", log, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log + error, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A port nobody listens on (connections are refused) until <see cref="Open"/>; then every connection to it is relayed to the database.</summary>
    private sealed class DelayedRelay(int port, string host, int targetPort) : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, port);
        private readonly CancellationTokenSource _stop = new();

        public void Open()
        {
            _listener.Start();
            _ = Task.Run(() => AcceptAsync(_stop.Token), CancellationToken.None);
        }

        private async Task AcceptAsync(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TcpClient incoming;
                try
                {
                    incoming = await _listener.AcceptTcpClientAsync(cancellationToken);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                _ = Task.Run(() => RelayAsync(incoming, cancellationToken), CancellationToken.None);
            }
        }

        private async Task RelayAsync(TcpClient incoming, CancellationToken cancellationToken)
        {
            using (incoming)
            using (var outgoing = new TcpClient())
            {
                try
                {
                    await outgoing.ConnectAsync(host, targetPort, cancellationToken);
                    var a = incoming.GetStream();
                    var b = outgoing.GetStream();
                    await Task.WhenAny(a.CopyToAsync(b, cancellationToken), b.CopyToAsync(a, cancellationToken));
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // A side closed: the relay of this connection ends with it.
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }

    /// <summary>The service's log lines, to see what it says while it starts.</summary>
    private sealed class LogLines : ILoggerProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

        public ILogger CreateLogger(string categoryName) => new Lines(_lines);

        public void Dispose()
        {
        }

        private sealed class Lines(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
