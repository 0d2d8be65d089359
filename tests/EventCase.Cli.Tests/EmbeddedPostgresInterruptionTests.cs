using System.Diagnostics;
using EventCase.EventStore.Embedded;

namespace EventCase.Cli.Tests;

/// <summary>
/// The tool interrupted by SIGINT while it creates or starts the embedded PostgreSQL, signalled alone (as
/// <c>kill -INT</c>, <c>timeout -s INT</c> or a supervisor does) or with its whole process group (as Ctrl-C in a
/// terminal does): it exits 130, and leaves a cluster the next start uses without crash recovery.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EmbeddedPostgresInterruptionTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Directory.CreateTempSubdirectory("eventcase-cli-sigint-").FullName;

    public EmbeddedPostgresInterruptionTests() =>
        // Traversable: as root the cluster belongs to the OS user 'postgres', who must reach it.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sigint_while_initdb_creates_the_cluster_exits_130_and_leaves_one_the_next_start_uses_without_recovery(bool wholeGroup)
    {
        // initdb was killed with SIGKILL on cancel: PG_VERSION written but no pg_control, or its bootstrap server's
        // postmaster.pid left behind, and every later command failed with "PostgreSQL did not start" until the
        // directory was deleted by hand.
        var cluster = Path.Combine(_directory, "postgres");
        try
        {
            var (exit, error) = await RunDbStartInterruptedAsync(cluster, wholeGroup, () => ClusterProcesses.IsRunning(["initdb"], cluster));

            Assert.True(exit == 130, $"exit code {exit}: {error}");
            Assert.Equal("cancelled\n", error);
            await AssertNextStartNeedsNoRecoveryAsync(cluster);
        }
        finally
        {
            await StopAsync(cluster);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sigint_while_pg_ctl_starts_the_server_exits_130_stops_it_cleanly_and_the_next_start_needs_no_recovery(bool wholeGroup)
    {
        // Signalled once the postmaster runs and pg_ctl still waits for it: the tool killed pg_ctl's process tree, the
        // postmaster with it (SIGKILL), and the next start went through crash recovery; or, pg_ctl interrupted by
        // the terminal's Ctrl-C, `db start` exited 130 and left the server running.
        var cluster = Path.Combine(_directory, "postgres");
        try
        {
            var (created, createdError) = await RunDbStartInterruptedAsync(cluster, wholeGroup, interruptWhen: null);
            Assert.True(created == 0, createdError);
            await StopAsync(cluster);

            var (exit, error) = await RunDbStartInterruptedAsync(
                cluster, wholeGroup, () => ClusterProcesses.IsRunning(["pg_ctl", "start"], cluster) && ClusterProcesses.IsRunning(["postgres", "-p"], cluster));

            Assert.True(exit == 130, $"exit code {exit}: {error}");
            Assert.Equal("cancelled\n", error);
            Assert.False(ClusterProcesses.IsRunning(["postgres", "-p"], cluster), "the server the cancelled start launched still runs");
            await AssertNextStartNeedsNoRecoveryAsync(cluster);
        }
        finally
        {
            await StopAsync(cluster);
        }
    }

    /// <summary>
    /// Runs <c>eventcase db start</c> on <paramref name="cluster"/> as the leader of a process group of its own and,
    /// once <paramref name="interruptWhen"/> holds, signals SIGINT to the tool alone or to its whole group.
    /// </summary>
    private static async Task<(int ExitCode, string Error)> RunDbStartInterruptedAsync(string cluster, bool wholeGroup, Func<bool>? interruptWhen)
    {
        var start = new ProcessStartInfo("/usr/bin/setsid", ["dotnet", Path.Combine(AppContext.BaseDirectory, "eventcase.dll"), "db", "start", "--data-dir", cluster])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        if (interruptWhen is not null)
        {
            while (!process.HasExited && !interruptWhen())
            {
                await Task.Delay(2, Ct);
            }

            // setsid(1) started by a process that is no group leader execs the tool itself: its id is the group's.
            using var kill = Process.Start("kill", ["-INT", "--", wholeGroup ? $"-{process.Id}" : $"{process.Id}"])!;
            await kill.WaitForExitAsync(Ct);
        }

        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
        await output;
        return (process.ExitCode, await error);
    }

    /// <summary>Starts the cluster as the next command would, and reads how its server found the data directory.</summary>
    private static async Task AssertNextStartNeedsNoRecoveryAsync(string cluster)
    {
        var log = Path.Combine(cluster, "eventcase-server.log");
        var offset = File.Exists(log) ? new FileInfo(log).Length : 0;
        await using var postgres = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(cluster));
        await postgres.StartAsync(Ct);
        Assert.False(postgres.AttachedToRunningServer, "a server was left running");
        await postgres.StopAsync(Ct);

        await using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        var started = await new StreamReader(stream).ReadToEndAsync(Ct);
        Assert.Contains("database system was shut down at", started, StringComparison.Ordinal);
        Assert.DoesNotContain("not properly shut down", started, StringComparison.Ordinal);
        Assert.DoesNotContain("was interrupted", started, StringComparison.Ordinal);
    }

    private static async Task StopAsync(string cluster)
    {
        await using var postgres = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(cluster));
        await postgres.StopAsync(CancellationToken.None);
    }
}
