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

        if (runAs is null)
        {
            info.FileName = program;
            args.ForEach(info.ArgumentList.Add);
        }
        else if (FindRunuser() is { } runuser)
        {
            info.FileName = runuser;
            foreach (var a in (string[])["-u", runAs, "--", program])
            {
                info.ArgumentList.Add(a);
            }

            args.ForEach(info.ArgumentList.Add);
        }
        else
        {
            info.FileName = "su";
            foreach (var a in (string[])["-s", "/bin/sh", runAs, "-c", "exec " + string.Join(' ', args.Prepend(program).Select(ShellQuote))])
            {
                info.ArgumentList.Add(a);
            }
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new EmbeddedPostgresException($"Could not run {Describe(info)}: {e.Message}", e);
        }

        process.StandardInput.Close();
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
            output.Append(await stdout).Append(await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new EmbeddedPostgresException(
                $"{Describe(info)} did not finish within {timeout.TotalSeconds:0} s and was killed.");
        }

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

    private static string? FindRunuser()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, "runuser")).FirstOrDefault(File.Exists);
    }

    private static string Describe(ProcessStartInfo info) =>
        string.Join(' ', info.ArgumentList.Prepend(info.FileName));

    private static partial class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport would need AllowUnsafeBlocks in the project; this signature is blittable.
        internal static extern uint geteuid();
#pragma warning restore SYSLIB1054
    }
}
