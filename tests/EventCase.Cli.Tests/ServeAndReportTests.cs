using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EventCase.Cases.Handling;
using EventCase.Cases.ReadModels;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.Testing;

namespace EventCase.Cli.Tests;

public sealed class ServeAndReportTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_runs_the_service_which_answers_its_health_check()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var process = StartServe(port);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(90);
            HttpStatusCode? status = null;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    status = (await http.GetAsync(new Uri("/health/ready", UriKind.Relative), Ct)).StatusCode;
                    if (status == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(250, Ct);
            }

            Assert.True(status == HttpStatusCode.OK, $"health was {status}; exited: {process.HasExited}");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Serve_in_production_without_a_signing_key_is_one_clear_error()
    {
        // A process of its own: the service writes its start-up errors on the process's standard error, which is where
        // an operator reads them, and which an in-process run of the command line does not capture.
        using var process = StartServe(1, "Production");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            await output;

            Assert.Equal(1, process.ExitCode);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: Auth:SigningKey is not configured.", line, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_is_one_error_line_and_exit_code_one()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        using var process = StartServe(port);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = await process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            await output;

            Assert.Equal(1, process.ExitCode);
            var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: Failed to bind to address http://127.0.0.1:{port}: address already in use.", line, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Theory]
    [InlineData("serve", "", "", "", "--environment Production")]
    [InlineData("serve", "agencies", "", "", "--environment Production")]
    [InlineData("serve --schema mine", "agencies", "", "", "--environment Production --EventCase:Schema mine")]
    [InlineData("serve", "", "Host=service", "Host=cli", "--environment Production")]
    [InlineData("serve", "", "", "Host=cli", "--environment Production --ConnectionStrings:EventCase Host=cli")]
    [InlineData("serve --connection Host=given", "", "Host=service", "Host=cli", "--environment Production --ConnectionStrings:EventCase Host=given")]
    public void Serve_passes_the_service_only_what_was_given_so_the_services_own_configuration_is_not_overridden_by_defaults(
        string commandLine, string schemaSetting, string serviceConnection, string cliConnection, string expected)
    {
        var variables = new Dictionary<string, string?>
        {
            ["EventCase__Schema"] = schemaSetting,
            ["ConnectionStrings__EventCase"] = serviceConnection,
            ["EVENTCASE_CONNECTION"] = cliConnection,
        };
        var result = EventCaseCli.Build(Spectre.Console.AnsiConsole.Console).Parse(commandLine);
        Assert.Empty(result.Errors);

        var args = EventCase.Cli.Serve.ServeCommand.ServiceArguments(result, "Production", null, name => variables.GetValueOrDefault(name));

        // EventCase__Schema reaches the service through its environment, which these arguments would outrank.
        Assert.Equal(expected, string.Join(' ', args));
    }

    [Fact]
    public void Serve_refuses_an_EVENTCASE_CONNECTION_it_would_pass_on_that_is_no_connection_string_naming_the_variable()
    {
        // The service failed to start on it with a stack trace and "Couldn't set port", exit 1.
        var variables = new Dictionary<string, string?> { ["EVENTCASE_CONNECTION"] = "Host=;Port=abc" };
        var result = EventCaseCli.Build(Spectre.Console.AnsiConsole.Console).Parse("serve");

        var refused = Assert.Throws<CliException>(() => EventCase.Cli.Serve.ServeCommand.ServiceArguments(result, "Production", null, name => variables.GetValueOrDefault(name)));

        Assert.Equal(ExitCodes.BadArguments, refused.ExitCode);
        Assert.Equal("EVENTCASE_CONNECTION is not a PostgreSQL connection string such as Host=db;Username=eventcase;Database=eventcase: Couldn't set port", refused.Message);

        // The service's own connection string wins, and the variable is not looked at.
        variables["ConnectionStrings__EventCase"] = "Host=service";
        Assert.DoesNotContain("--ConnectionStrings:EventCase", EventCase.Cli.Serve.ServeCommand.ServiceArguments(result, "Production", null, name => variables.GetValueOrDefault(name)));
    }

    [Fact]
    public async Task Serve_with_an_address_that_is_not_one_is_a_bad_argument()
    {
        var (exit, _, error) = await CliRunner.RunAsync("serve", "--urls", "garbage");

        Assert.Equal(2, exit);
        Assert.Contains("--urls: 'garbage' is not an address to listen on", error, StringComparison.Ordinal);
    }

    /// <summary>An agency that exists (it has a stream) and had no case in the ranges reported on.</summary>
    private async Task SeedAgencyAsync(string agency)
    {
        var store = new PostgresEventStore(database.DataSource, CaseEvents.CreateSerializer(), projections: BuiltInProjections.Create(CliSession.Calendars));
        await store.MigrateAsync(Ct);
        var caseId = new EventCase.Cases.CaseId("seeded-1");
        var stream = CaseStreams.For(new EventCase.Cases.AgencyId(agency), caseId);
        if (await store.GetStreamInfoAsync(stream, Ct) is null)
        {
            await store.AppendToStreamAsync(stream, CaseStreams.StreamType, ExpectedVersion.NoStream,
                [new NewEvent(Guid.NewGuid(), new EventCase.Cases.AddingNotes.NoteAdded(caseId, EventCase.Cases.AddingNotes.NoteVisibility.Internal, "a note", NodaTime.Instant.FromUtc(2015, 3, 2, 14, 0)), new EventCase.EventStore.Metadata.EventMetadata("agent-7", "agent"))], Ct);
        }
    }

    [Theory]
    [InlineData("table")]
    [InlineData("csv")]
    [InlineData("json")]
    public async Task A_transparency_report_of_an_agency_with_no_streams_is_an_error_not_an_empty_report(string format)
    {
        // A typo in --agency gave an empty table, a bare CSV header or [] with exit code 0: a scheduled publication
        // went out empty. audit verify --tenant and audit export say the same of a tenant with no streams, exit 1.
        await SeedAgencyAsync("boston");

        var (exit, output, error) = await CliRunner.RunAsync("report", "transparency", "--agency", "bostn", "--format", format, "--connection", database.ConnectionString);

        Assert.Equal((1, ""), (exit, output));
        Assert.Equal("error: nothing to report: agency 'bostn' has no streams (is --agency right?)", error.Trim());
    }

    [Fact]
    public async Task Transparency_report_prints_csv_with_its_header()
    {
        await SeedAgencyAsync("boston");
        var (exit, output, error) = await CliRunner.RunAsync(
            "report", "transparency", "--agency", "boston", "--period", "week", "--format", "csv", "--from", "2026-01-01", "--to", "2026-03-31", "--connection", database.ConnectionString);

        Assert.True(exit == 0, error);
        Assert.StartsWith("agency,service,", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("is not a date such as 2026-03-01", "report", "transparency", "--agency", "boston", "--from", "March")]
    [InlineData("Argument 'quarter' not recognized", "report", "transparency", "--agency", "boston", "--period", "quarter")]
    [InlineData("--to 2015-01-01 is before --from 2016-01-01.", "report", "transparency", "--agency", "boston", "--from", "2016-01-01", "--to", "2015-01-01")]
    [InlineData("--from 9999-01-01 is outside the days a report can cover (0002-01-01 to 9998-12-31)", "report", "transparency", "--agency", "boston", "--from", "9999-01-01", "--to", "9999-12-31")]
    [InlineData("--to 0001-06-01 is outside the days a report can cover", "report", "transparency", "--agency", "boston", "--to", "0001-06-01")]
    [InlineData("The range has more than 3,700 periods", "report", "transparency", "--agency", "boston", "--period", "day", "--from", "2000-01-01", "--to", "2020-01-01")]
    [InlineData("--agency 'bad agency' is not an agency id", "report", "transparency", "--agency", "bad agency")]
    public async Task Bad_report_arguments_are_one_clear_line(string expected, params string[] args)
    {
        var (exit, _, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_default_range_that_starts_before_the_first_reportable_day_is_a_bad_argument()
    {
        // An agency with streams: one without any is refused before the range is looked at (exit 1).
        await SeedAgencyAsync("boston");

        var (exit, _, error) = await CliRunner.RunAsync("report", "transparency", "--agency", "boston", "--to", "0002-06-01", "--connection", database.ConnectionString);

        Assert.Equal(2, exit);
        Assert.Contains("the report would start on 0001-06-01, before 0002-01-01", error, StringComparison.Ordinal);
        Assert.Contains("(--from defaults to a year before --to)", error, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>eventcase serve</c> as a process of its own on <paramref name="port"/>, output redirected.</summary>
    private Process StartServe(int port, string environment = "Development")
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "eventcase.dll");
        return Process.Start(new ProcessStartInfo("dotnet", [cli, "serve", "--environment", environment, "--connection", database.ConnectionString, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
    }
}
