using System.CommandLine;

namespace EventCase.Cli.Hosting;

/// <summary>Options every command understands.</summary>
internal sealed record GlobalOptions(string? Connection, string? DataDirectory, string Schema)
{
    public static readonly Option<string?> ConnectionOption = new("--connection")
    {
        Description = "PostgreSQL connection string (default: $EVENTCASE_CONNECTION, else the embedded PostgreSQL)",
        Recursive = true,
    };

    public static readonly Option<string?> DataDirectoryOption = new("--data-dir")
    {
        Description = "Data directory of the embedded PostgreSQL (default: $EVENTCASE_DATA_DIR, /var/lib/eventcase/postgres as root, else ~/.local/share/eventcase/postgres)",
        Recursive = true,
    };

    public static readonly Option<string> SchemaOption = new("--schema")
    {
        Description = "Schema of the event store",
        DefaultValueFactory = _ => "eventcase",
        Recursive = true,
    };

    public static GlobalOptions From(ParseResult result) =>
        new(result.GetValue(ConnectionOption), result.GetValue(DataDirectoryOption), result.GetValue(SchemaOption) ?? "eventcase");
}
