using System.CommandLine;
using System.Globalization;
using EventCase.Cli.Hosting;
using Spectre.Console;

namespace EventCase.Cli.Restore;

/// <summary>
/// <c>eventcase adopt-restored-log</c>: makes a log restored with pg_dump/pg_restore from another PostgreSQL cluster
/// usable on this one (the service refuses it until then; docs/operating.md, "Backups").
/// </summary>
internal static class AdoptRestoredLogCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var command = new Command(
            "adopt-restored-log",
            "After a pg_dump/pg_restore into another PostgreSQL cluster, move the restored events' transaction ids into this "
            + "server's past (content, hashes and each stream's order kept) and request every projection's rebuild; changes "
            + "nothing on any other log");
        command.AddExamples("eventcase adopt-restored-log --connection \"Host=new-db;Username=eventcase;Database=eventcase\"");
        command.SetAction(async (result, ct) =>
        {
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.RequireExisting, ct);
            var moved = await session.Store.AdoptRestoredLogAsync(ct);
            console.WriteLine(moved == 0
                ? "nothing to adopt: the log does not run ahead of this server's transaction ids."
                : string.Create(CultureInfo.InvariantCulture, $"adopted {moved:N0} restored events; every projection's rebuild is requested: start the service, which rebuilds them (eventcase projections status shows the progress)."));
            return 0;
        });
        return command;
    }
}
