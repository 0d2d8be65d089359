using System.Diagnostics;
using System.Text.RegularExpressions;
using EventCase.Testing;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Hosting;

/// <summary>
/// What the service prints when it has started, run as a process of its own as a developer meets it: the lines are
/// copied into a terminal, so the token command names the address the service listens on rather than a placeholder
/// (<c>curl -s -X POST &lt;url&gt;/dev/token</c> was no URL curl could use).
/// </summary>
public sealed partial class StartupLinesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task In_development_the_token_command_it_prints_names_the_address_it_listens_on()
    {
        using var process = Process.Start(new ProcessStartInfo(
            "dotnet", [Path.Combine(AppContext.BaseDirectory, "EventCase.Server.dll"), "--urls", "http://127.0.0.1:0", "--ConnectionStrings:EventCase", database.ConnectionString, "--Auth:SigningKey", SigningKey])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Development" },
        })!;
        try
        {
            string? address = null;
            string? tokenLine = null;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(120));
            while (tokenLine is null && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                address ??= ListeningLine().Match(line) is { Success: true } listening ? listening.Groups[1].Value : null;
                tokenLine = line.StartsWith("Development: get a token with", StringComparison.Ordinal) ? line : null;
            }

            Assert.NotNull(address);
            Assert.NotNull(tokenLine);
            Assert.Contains($"curl -s -X POST {address}/dev/token ", tokenLine, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    [GeneratedRegex(@"^EventCase is listening on (http://127\.0\.0\.1:\d+) ")]
    private static partial Regex ListeningLine();
}
