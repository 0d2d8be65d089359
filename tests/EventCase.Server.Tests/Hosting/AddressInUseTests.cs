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
        var (exit, log, error) = await ServerProcess.RunUntilExitAsync(
            ["--urls", address, "--ConnectionStrings:EventCase", database.ConnectionString, "--Auth:SigningKey", SigningKey], Ct);

        Assert.Equal(1, exit);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: Failed to bind to address {address}: address already in use.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", log + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", log + error, StringComparison.Ordinal);
    }
}
