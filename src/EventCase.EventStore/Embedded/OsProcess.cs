using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace EventCase.EventStore.Embedded;

/// <summary>The outcome of a finished child process.</summary>
internal sealed record ProcessResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs the PostgreSQL programs, as an unprivileged user when this process is root.</summary>
internal static partial class OsProcess
{
    private static readonly Lazy<bool> IsRootLazy = new(() => !OperatingSystem.IsWindows() && NativeMethods.geteuid() == 0);

    /// <summary>Whether this process runs with an effective user id of 0.</summary>
    public static bool IsRoot => IsRootLazy.Value;

    /// <summary>
    /// Runs <paramref name="program"/> and collects stdout and stderr together. With <paramref name="runAs"/>, runs it
    /// through <c>runuser -u USER --</c> (or <c>su</c> when runuser is missing).
    /// </summary>
    /// <remarks>
    /// The program runs in a session of its own (<c>setsid</c>), and cancelling waits for it to finish (within
    /// <paramref name="timeout"/>) before throwing <see cref="OperationCanceledException"/>: initdb and pg_ctl leave
    /// the data directory whole only when they finish. Ctrl-C in a terminal signals the whole foreground process group,
    /// and killing them on cancel (the process tree, with SIGKILL) left an initdb's half-made cluster, PG_VERSION
    /// written but no pg_control, that no later start could use, or its bootstrap server's postmaster.pid. Only a
    /// program that outlives <paramref name="timeout"/> is killed.
    /// </remarks>
    public static async Task<ProcessResult> RunAsync(
        string program, IEnumerable<string> arguments, string? runAs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var args = arguments.ToList();
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // The current directory may be /root, which the unprivileged user cannot enter; initdb and pg_ctl
            // would complain about it.
            WorkingDirectory = "/",
        };
        // Keep messages in English so that callers (and people reading exceptions) see the same text everywhere.
        info.Environment["LC_ALL"] = "C";
        info.Environment.Remove("PGDATA");
        info.Environment.Remove("PGPORT");
        info.Environment.Remove("PGHOST");

        List<string> command;
        if (runAs is null)
        {
            command = [program, .. args];
        }
        else if (FindOnPath("runuser") is { } runuser)
        {
            command = [runuser, "-u", runAs, "--", program, .. args];
        }
        else
        {
            command = ["su", "-s", "/bin/sh", runAs, "-c", "exec " + string.Join(' ', args.Prepend(program).Select(ShellQuote))];
        }

        var description = string.Join(' ', command);

        // Out of the terminal's process group, so that Ctrl-C reaches this process alone, which then lets the program
        // finish (see remarks). -w: setsid forks when its caller leads a process group, and must then still wait.
        if (!OperatingSystem.IsWindows() && FindOnPath("setsid") is { } setsid)
        {
            command.InsertRange(0, [setsid, "-w"]);
        }

        info.FileName = command[0];
        command.Skip(1).ToList().ForEach(info.ArgumentList.Add);

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new EmbeddedPostgresException($"Could not run {description}: {e.Message}", e);
        }

        process.StandardInput.Close();
        var output = new StringBuilder();
        using var timeoutSource = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
            output.Append(await stdout).Append(await stderr);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new EmbeddedPostgresException(
                $"{description} did not finish within {timeout.TotalSeconds:0} s and was killed.");
        }

        // Cancelled meanwhile: the program still did its work (a cluster created, a server started), which the caller,
        // given no result, finds in the state it left.
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessResult(process.ExitCode, output.ToString().Trim());
    }

    /// <summary>Whether a process with this id is alive (a zombie counts as alive until reaped).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="user"/> is a known OS user.</summary>
    public static async Task<bool> UserExistsAsync(string user, CancellationToken cancellationToken)
    {
        var result = await RunAsync("id", ["-u", user], runAs: null, TimeSpan.FromSeconds(10), cancellationToken);
        return result.Succeeded;
    }

    /// <summary>Gives <paramref name="path"/> (not recursively) to <paramref name="user"/> and their login group.</summary>
    public static async Task ChownAsync(string path, string user, CancellationToken cancellationToken)
    {
        var result = await RunAsync("chown", [user + ":", path], runAs: null, TimeSpan.FromSeconds(30), cancellationToken);
        if (!result.Succeeded)
        {
            throw new EmbeddedPostgresException($"Could not give {path} to the OS user '{user}' (chown {user}: {path}): {result.Output}");
        }
    }

    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string? FindOnPath(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static partial class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need AllowUnsafeBlocks in the project; this signature is blittable.
        internal static extern uint geteuid();
#pragma warning restore SYSLIB1054
    }
}
