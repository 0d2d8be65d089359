using System.CommandLine;
using EventCase.Cli.Hosting;
using EventCase.EventStore.Embedded;
using Spectre.Console;

namespace EventCase.Cli.Db;

/// <summary><c>eventcase db start|stop|status</c>: the embedded PostgreSQL.</summary>
internal static class DbCommands
{
    public static Command Create(IAnsiConsole console)
    {
        var db = new Command("db", "Manage the embedded PostgreSQL the service uses when no connection string is given");

        var start = new Command("start", "Start the embedded PostgreSQL (initialising it on first use) and leave it running");
        start.AddExamples("eventcase db start", "eventcase db start --data-dir /srv/eventcase/postgres");
        start.SetAction(async (result, ct) =>
        {
            var directory = Directory(result);
            await using var postgres = new EmbeddedPostgres(new EmbeddedPostgresOptions
            {
                Mode = EmbeddedPostgresMode.Persistent,
                DataDirectory = directory,
                LeaveRunningOnDispose = true,
            });
            await postgres.StartAsync(ct);
            console.MarkupLineInterpolated($"[green]running[/] {(postgres.AttachedToRunningServer ? "(already)" : "(started)")} in {directory}");
            console.WriteLine($"connection: {postgres.ConnectionString}");
            return ExitCodes.Success;
        });

        var stop = new Command("stop", "Stop the embedded PostgreSQL");
        stop.AddExamples("eventcase db stop", "eventcase db stop --data-dir /srv/eventcase/postgres");
        stop.SetAction(async (result, ct) =>
        {
            var directory = Directory(result);
            await using var postgres = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(directory));
            if (!postgres.GetStatus().IsRunning)
            {
                console.WriteLine($"not running ({directory})");
                return ExitCodes.Success;
            }

            await postgres.StartAsync(ct);
            await postgres.StopAsync(ct);
            console.WriteLine($"stopped ({directory})");
            return ExitCodes.Success;
        });

        var status = new Command("status", "Show whether the embedded PostgreSQL runs, where, and on which port");
        status.AddExamples("eventcase db status");
        status.SetAction(result =>
        {
            var directory = Directory(result);
            var state = new EmbeddedPostgres(EmbeddedPostgresOptions.Persistent(directory)).GetStatus();
            var table = new Table().AddColumns("", "");
            // Table cells are markup; paths are data (a '[' in one would otherwise break the table).
            table.AddRow("data directory", Markup.Escape(directory));
            table.AddRow("initialised", state.IsInitialized ? "yes" : "no");
            table.AddRow("running", state.IsRunning ? $"yes (pid {state.ProcessId}, port {state.Port})" : "no");
            table.AddRow("connection", Markup.Escape(state.ConnectionString ?? "–"));
            table.AddRow("log", Markup.Escape(state.LogPath));
            console.Write(table);
            return ExitCodes.Success;
        });

        foreach (var command in new[] { start, stop, status })
        {
            RefuseOptionsItIgnores(command);
        }

        foreach (var command in new[] { db, start, stop, status })
        {
            command.OmitFromHelp(GlobalOptions.ConnectionOption, GlobalOptions.SchemaOption);
        }

        db.Subcommands.Add(start);
        db.Subcommands.Add(stop);
        db.Subcommands.Add(status);
        return db;
    }

    /// <summary>
    /// --connection and --schema are every command's, but a db command would ignore them: it manages the embedded
    /// cluster in --data-dir, and `db status --connection` showed that cluster's status as if it were the server named.
    /// </summary>
    private static void RefuseOptionsItIgnores(Command command) =>
        command.AddValidator(result =>
        {
            foreach (var option in new Option[] { GlobalOptions.ConnectionOption, GlobalOptions.SchemaOption })
            {
                if (result.GetResult(option) is { Implicit: false })
                {
                    result.AddError($"{option.Name}: `eventcase db {command.Name}` manages the embedded PostgreSQL in --data-dir and takes no {option.Name}.");
                }
            }
        });

    private static string Directory(ParseResult result) =>
        GlobalOptions.From(result).DataDirectory ?? DataDirectories.DefaultPostgresDirectory();
}
