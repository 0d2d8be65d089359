using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EventCase.Testing;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Hosting;

/// <summary>
/// The service started on an address another process listens on says so in one line on standard error and exits with
/// code 1, instead of logging the bind failure's stack trace (twice) and aborting. Run as a process of its own: that is
/// how an operator meets it, and the exit code is the process's.
/// </summary>
public sealed class AddressInUseTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_address_and_the_cause_and_exit_code_one()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        using var process = Process.Start(new ProcessStartInfo(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "EventCase.Server.dll"), "--urls", address,
                "--ConnectionStrings:EventCase", database.ConnectionString, "--Auth:SigningKey", SigningKey])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
        })!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            var log = await output;

            Assert.Equal(1, process.ExitCode);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: Failed to bind to address {address}: address already in use.", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", log + error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", log + error, StringComparison.Ordinal);
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
