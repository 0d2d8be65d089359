using System.CommandLine;
using EventCase.EventStore.Schema;
using Npgsql;

namespace EventCase.Cli.Hosting;

/// <summary>Options every command understands.</summary>
internal sealed record GlobalOptions(string? Connection, string? DataDirectory, string Schema)
{
    /// <summary><c>--connection</c>, checked to be a connection string while parsing.</summary>
    public static readonly Option<string?> ConnectionOption = CreateConnectionOption();

    /// <summary><c>--data-dir</c>, checked to be a path that can be a directory while parsing.</summary>
    public static readonly Option<string?> DataDirectoryOption = CreateDataDirectoryOption();

    /// <summary><c>--schema</c>, checked to be a plain SQL identifier while parsing.</summary>
    public static readonly Option<string> SchemaOption = CreateSchemaOption();

    /// <summary>Prints an error's stack trace after its one line: for a bug report, not for everyday use.</summary>
    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "On an error, also print its stack trace (for bug reports)",
        Recursive = true,
    };

    /// <summary>The global options of a parsed command line.</summary>
    public static GlobalOptions From(ParseResult result) =>
        new(result.GetValue(ConnectionOption), result.GetValue(DataDirectoryOption), result.GetValue(SchemaOption) ?? "eventcase");

    private static Option<string?> CreateConnectionOption()
    {
        var option = new Option<string?>("--connection")
        {
            Description = "PostgreSQL connection string (default: $EVENTCASE_CONNECTION, else the embedded PostgreSQL)",
            Recursive = true,
        };
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && ConnectionStringProblem(text) is { } problem)
            {
                r.AddError(NotAConnectionString("--connection", problem));
            }
        });
        return option;
    }

    private static Option<string?> CreateDataDirectoryOption()
    {
        var option = new Option<string?>("--data-dir")
        {
            Description = "Data directory of the embedded PostgreSQL (default: $EVENTCASE_DATA_DIR, /var/lib/eventcase/postgres as root, else ~/.local/share/eventcase/postgres)",
            Recursive = true,
        };
        option.AcceptDirectoryPathsOnly();
        return option;
    }

    private static Option<string> CreateSchemaOption()
    {
        var option = new Option<string>("--schema")
        {
            Description = "Schema of the event store",
            DefaultValueFactory = _ => "eventcase",
            Recursive = true,
        };
        option.AddValidator(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } schema)
            {
                try
                {
                    SchemaMigrator.ValidateIdentifier(schema, "--schema");
                }
                catch (ArgumentException e)
                {
                    r.AddError(CommandFailure.WithoutParameterName(e));
                }
            }
        });
        return option;
    }

    /// <summary>
    /// The one line for a connection string that cannot be used, naming where it came from (<c>--connection</c> or
    /// <c>EVENTCASE_CONNECTION</c>): the same mistake is the same bad argument, exit code 2, wherever it was made.
    /// </summary>
    public static string NotAConnectionString(string source, string problem) =>
        $"{source} is not a PostgreSQL connection string such as Host=db;Username=eventcase;Database=eventcase: {problem}";

    /// <summary>
    /// Why <paramref name="connectionString"/> cannot be used by Npgsql, or null. Besides what Npgsql's parser refuses,
    /// a string naming no host or a port out of range: Npgsql takes both and fails only when connecting, with a line
    /// naming neither ("Value cannot be null.", "Specified argument was out of the range of valid values."). A blank
    /// one is refused too: `--connection "$DB"` with $DB unset would otherwise run on the embedded PostgreSQL (created
    /// on the spot) and an import would write there as if into the database meant.
    /// </summary>
    public static string? ConnectionStringProblem(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "it is empty (leave the option out for $EVENTCASE_CONNECTION, else the embedded PostgreSQL)";
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrWhiteSpace(builder.Host) ? "it names no Host"
                : builder.Port is < 1 or > 65535 ? $"Port {builder.Port} is not a TCP port (1 to 65535)"
                : null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return e is ArgumentException argument ? CommandFailure.WithoutParameterName(argument) : e.Message;
        }
    }
}
