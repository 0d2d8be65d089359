using System.Diagnostics;

namespace EventCase.Server.Tests.Hosting;

/// <summary>
/// The service run as a process of its own, in the Production environment, as an operator meets it: for what only a
/// process shows (its exit code, what it writes on standard output and error before and instead of serving).
/// </summary>
internal static class ServerProcess
{
    /// <summary>Runs the service with <paramref name="arguments"/> until it exits (two minutes at most), killing it otherwise.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunUntilExitAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EventCase.Server.dll"), .. arguments])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
        })!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
            return (process.ExitCode, await output, error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
