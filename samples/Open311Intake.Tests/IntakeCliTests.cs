using System.Text.RegularExpressions;

namespace Open311Intake.Tests;

/// <summary>The command line as a resident-facing app's operator runs it: output, one-line errors, exit codes.</summary>
public sealed class IntakeCliTests(IntakeServerFixture server) : IClassFixture<IntakeServerFixture>
{
    private sealed record Run(int ExitCode, string Output, string Error);

    private async Task<Run> RunAsync(params string[] args)
    {
        using var http = server.Http();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new Dictionary<string, string>
        {
            [IntakeCli.EndpointVariable] = IntakeServerFixture.Endpoint.AbsoluteUri,
            [IntakeCli.ApiKeyVariable] = IntakeServerFixture.ApiKey,
        };
        var host = new IntakeHost(http, output, error, name => environment.GetValueOrDefault(name), TimeProvider.System);
        var exitCode = await IntakeCli.RunAsync(args, host, TestContext.Current.CancellationToken);
        return new Run(exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task File_prints_the_request_id_and_status_shows_it_open()
    {
        var filed = await RunAsync("file", "--service", "pothole", "--lat", "42.3601", "--long", "-71.0589", "--description", "Deep pothole", "--attribute", "depth=deep");
        var id = Regex.Match(filed.Output, @"^Filed (DEMO-\d{4}-\d{6}) \(token ", RegexOptions.None, TimeSpan.FromSeconds(1)).Groups[1].Value;
        var status = await RunAsync("status", id);

        Assert.Equal((0, ""), (filed.ExitCode, filed.Error));
        Assert.NotEmpty(id);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"request     {id}", status.Output, StringComparison.Ordinal);
        Assert.Contains("status      open", status.Output, StringComparison.Ordinal);
        Assert.Contains("description Deep pothole", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Services_lists_each_code_with_its_name()
    {
        var run = await RunAsync("services");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("pothole       Pothole  (has attributes: see `definition pothole`)", run.Output, StringComparison.Ordinal);
        Assert.Contains("missed-trash  Missed trash pickup", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_is_one_error_line_and_exit_code_1()
    {
        var run = await RunAsync("file", "--service", "pothole", "--address", "1 Main St", "--attribute", "depth=bottomless");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.StartsWith("error: The server refused the request (400): attribute[depth]", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task An_unknown_request_id_is_exit_code_1()
    {
        var run = await RunAsync("status", "DEMO-2026-999999");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: Not found (404)", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file", "--service", "pothole")]
    [InlineData("file", "--service", "pothole", "--lat", "north", "--long", "1")]
    [InlineData("file", "--service", "pothole", "--address", "1 Main St", "--attribute", "deep")]
    [InlineData("watch", "DEMO-2026-000001", "--interval", "0")]
    [InlineData("status", "X", "--endpoint", "ftp://example.org/")]
    [InlineData("frobnicate")]
    public async Task Bad_arguments_are_exit_code_2_without_calling_the_server(params string[] args)
    {
        var run = await RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_gives_up_with_exit_code_3_while_the_request_is_still_open()
    {
        var filed = await RunAsync("file", "--service", "graffiti", "--address", "2 Elm St");
        var id = filed.Output.Split(' ')[1];

        var run = await RunAsync("watch", id, "--interval", "0.05", "--timeout", "0.3s");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains($"{id}  open", run.Output, StringComparison.Ordinal);
        Assert.Equal($"{id} is still open after 0.3 s.", run.Error.TrimEnd());
    }
}
