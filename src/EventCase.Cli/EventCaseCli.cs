using System.CommandLine;
using EventCase.Cli.Audit;
using EventCase.Cli.Db;
using EventCase.Cli.Hosting;
using EventCase.Cli.Import;
using EventCase.Cli.Reports;
using EventCase.Cli.Serve;
using EventCase.Cli.Projections;
using EventCase.Cli.Replay;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using Npgsql;
using Spectre.Console;

namespace EventCase.Cli;

/// <summary>Builds and runs the <c>eventcase</c> command line.</summary>
internal static class EventCaseCli
{
    public static RootCommand Build(IAnsiConsole console)
    {
        var root = new RootCommand("EventCase: an event-sourced case management engine for public agencies")
        {
            GlobalOptions.ConnectionOption,
            GlobalOptions.DataDirectoryOption,
            GlobalOptions.SchemaOption,
        };
        root.Subcommands.Add(DbCommands.Create(console));
        root.Subcommands.Add(ReplayCommand.Create(console));
        root.Subcommands.Add(ProjectionCommands.Create(console));
        root.Subcommands.Add(AuditCommands.Create(console));
        root.Subcommands.Add(ImportCommand.Create(console));
        root.Subcommands.Add(ReportCommands.Create(console));
        root.Subcommands.Insert(0, ServeCommand.Create());
        return root;
    }

    /// <summary>Runs the command line; errors are one clear line on <paramref name="error"/> and exit code 1.</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = Build(console);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One clear line, not a page of help: the user asked for something specific.
            var command = string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : CommandPath(parsed.CommandResult));
            await error.WriteLineAsync($"error: {string.Join("; ", parsed.Errors.Select(e => OneLine(e.Message)))} (see `eventcase {command}{(command.Length > 0 ? " " : "")}--help`)");
            return 2;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Error = error, Output = console.Profile.Out.Writer, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (Exception e) when (e is CliException or EventStoreException or EmbeddedPostgresException or NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            await error.WriteLineAsync("error: " + OneLine(e.Message));
            return 1;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("cancelled");
            return 130;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (var current = result; current?.Parent is not null; current = current.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(current.Command.Name);
        }

        return names;
    }
}
