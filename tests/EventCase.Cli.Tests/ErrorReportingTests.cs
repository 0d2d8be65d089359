using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.Import.Mapping;

namespace EventCase.Cli.Tests;

/// <summary>What a failed command prints and which exit code it returns, whatever failed.</summary>
public sealed class ErrorReportingTests
{
    [Fact]
    public void A_file_or_database_failure_is_its_own_message_and_exit_code_one()
    {
        var failure = CommandFailure.From(new DirectoryNotFoundException("Could not find a part of the path '/nonexistent/r.csv'."));

        Assert.Equal(new CommandFailure("Could not find a part of the path '/nonexistent/r.csv'.", ExitCodes.Failure, true), failure);
    }

    [Fact]
    public void A_library_refusal_does_not_name_the_library_parameter()
    {
        var failure = CommandFailure.From(new ArgumentException("An agency id may only contain letters.", "value"));

        Assert.Equal("An agency id may only contain letters.", failure.Message);
        Assert.Equal(ExitCodes.Failure, failure.ExitCode);
    }

    [Fact]
    public void A_mapping_that_cannot_be_used_is_a_bad_argument()
    {
        Assert.Equal(ExitCodes.BadArguments, CommandFailure.From(new InvalidImportMappingException("columns.service is required.")).ExitCode);
    }

    [Fact]
    public void A_failure_of_parallel_work_is_reported_by_its_first_cause()
    {
        var failure = CommandFailure.From(new AggregateException(new IOException("disk full"), new OperationCanceledException()));

        Assert.Equal("disk full (and 1 more errors)", failure.Message);
        Assert.Equal(ExitCodes.Failure, failure.ExitCode);
    }

    [Fact]
    public void An_unexpected_exception_is_one_line_that_names_it_and_says_how_to_get_its_stack_trace()
    {
        var failure = CommandFailure.From(new OverflowException("Value was either too large\nor too small."));

        Assert.False(failure.Expected);
        Assert.Equal(ExitCodes.Failure, failure.ExitCode);
        Assert.StartsWith("Value was either too large or too small. (unexpected OverflowException: run again with --verbose", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure.Message);
    }

    [Fact]
    public void A_store_error_keeps_its_message()
    {
        var failure = CommandFailure.From(new InvalidEventStoreArgumentException("tenant", "must not be empty."));

        Assert.Equal(new CommandFailure("tenant: must not be empty.", ExitCodes.Failure, true), failure);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_one_line_that_says_why()
    {
        // Nothing listens on port 1. Npgsql's own message names only the address; the cause (refused, timed out, no
        // such host) is its inner exception, and is what tells a wrong port from a firewall or a stopped server.
        var (exit, output, error) = await CliRunner.RunAsync("projections", "status", "--connection", "Host=127.0.0.1;Port=1;Timeout=5");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal("error: Failed to connect to 127.0.0.1:1: Connection refused", error.Trim());
    }

    [Fact]
    public async Task A_database_host_that_does_not_resolve_is_named_in_the_one_line()
    {
        // Npgsql's message is the resolver's alone ("Name or service not known"), which does not say what was looked up.
        var (exit, output, error) = await CliRunner.RunAsync("projections", "status", "--connection", "Host=no-such-host.invalid;Timeout=5");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith("error: the database host 'no-such-host.invalid' cannot be found (", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_failure_is_one_line_and_verbose_adds_the_stack_trace_after_it()
    {
        // Nothing listens on port 1: the connection is refused at once.
        string[] args = ["replay", "case-1", "--agency", "boston", "--connection", "Host=127.0.0.1;Port=1;Timeout=5"];

        var (exit, _, error) = await CliRunner.RunAsync(args);
        var (verboseExit, _, verboseError) = await CliRunner.RunAsync([.. args, "--verbose"]);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(1, verboseExit);
        Assert.StartsWith(error.Trim(), verboseError, StringComparison.Ordinal);
        Assert.Contains("   at ", verboseError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage", "Format of the initialization string does not conform to specification")]
    [InlineData("Host=;Port=abc", "Couldn't set port")]
    [InlineData("Host=;", "it names no Host")]
    [InlineData("Username=eventcase;Database=eventcase", "it names no Host")]
    [InlineData("Host=127.0.0.1;Port=70000", "Port 70000 is not a TCP port (1 to 65535)")]
    public async Task A_connection_string_that_cannot_be_used_is_a_bad_argument_naming_where_it_came_from_whether_option_or_environment(string connection, string problem)
    {
        var (optionExit, optionOutput, optionError) = await CliRunner.RunAsync("projections", "status", "--connection", connection);
        var (environmentExit, environmentOutput, environmentError) = await CliRunner.RunProcessAsync(
            new Dictionary<string, string?> { ["EVENTCASE_CONNECTION"] = connection }, "projections", "status");

        Assert.Equal((2, ""), (optionExit, optionOutput));
        Assert.StartsWith($"error: --connection is not a PostgreSQL connection string such as Host=db;Username=eventcase;Database=eventcase: {problem}", optionError, StringComparison.Ordinal);
        Assert.Equal((2, ""), (environmentExit, environmentOutput));
        Assert.StartsWith($"error: EVENTCASE_CONNECTION is not a PostgreSQL connection string such as Host=db;Username=eventcase;Database=eventcase: {problem}", environmentError, StringComparison.Ordinal);
        Assert.Single(environmentError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task An_empty_connection_option_is_a_bad_argument_not_the_embedded_database()
    {
        // `--connection "$DB"` with $DB unset: taken as no option, it ran on the embedded PostgreSQL, created on the spot.
        var (exit, output, error) = await CliRunner.RunAsync("import", RepositoryFiles.Path("EventCase.sln"), "--mapping", RepositoryFiles.Path("mappings", "boston_311_2015.json"), "--tenant", "boston", "--connection", "");

        Assert.Equal((2, ""), (exit, output));
        Assert.StartsWith("error: --connection is not a PostgreSQL connection string such as Host=db;Username=eventcase;Database=eventcase: it is empty", error, StringComparison.Ordinal);
    }
}
