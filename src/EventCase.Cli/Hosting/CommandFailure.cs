using System.Reflection;
using EventCase.EventStore;
using EventCase.EventStore.Embedded;
using EventCase.Import.Mapping;
using Npgsql;

namespace EventCase.Cli.Hosting;

/// <summary>
/// What one failed command reports: one line and an exit code. Failures whose message already says what went wrong
/// (the database, a file, the store's own refusals) are printed as they are; anything else is a bug or a case nobody
/// foresaw, printed on one line too but marked as unexpected, with the way to get its stack trace.
/// </summary>
/// <param name="Message">The error, on one line.</param>
/// <param name="ExitCode">See <see cref="ExitCodes"/>.</param>
/// <param name="Expected">False for an exception no command maps to a message of its own.</param>
internal sealed record CommandFailure(string Message, int ExitCode, bool Expected)
{
    /// <summary>What to report for <paramref name="exception"/>, which ended a command.</summary>
    public static CommandFailure From(Exception exception)
    {
        switch (exception)
        {
            case TargetInvocationException { InnerException: { } inner }:
                return From(inner);
            case AggregateException aggregate:
                // Parallel work (the importer's reader and writers) can fail on several sides at once; the first
                // failure is the cause, the others mostly its echo.
                var causes = aggregate.Flatten().InnerExceptions;
                var first = From(causes[0]);
                return causes.Count == 1 ? first : first with { Message = $"{first.Message} (and {causes.Count - 1} more errors)" };
            case CliException cli:
                return new(OneLine(cli.Message), cli.ExitCode, true);
            case InvalidImportMappingException:
                return new(OneLine(exception.Message), ExitCodes.BadArguments, true);
            case NpgsqlException { InnerException: (System.Net.Sockets.SocketException or TimeoutException or IOException) and { } cause } connecting
                when connecting is not PostgresException && !connecting.Message.Contains(cause.Message, StringComparison.Ordinal):
                // "Failed to connect to db:5432" alone: why (refused, timed out, no such host) is the inner exception's,
                // and is what tells a wrong port from a stopped server or a firewall.
                return new(OneLine($"{connecting.Message.TrimEnd('.')}: {cause.Message}"), ExitCodes.Failure, true);
            case EventStoreException or EmbeddedPostgresException or NpgsqlException or TimeoutException or IOException or UnauthorizedAccessException:
                return new(OneLine(exception.Message), ExitCodes.Failure, true);
            case ArgumentException argument:
                // The libraries' documented refusals; "(Parameter 'value')" names their parameter, not our option.
                return new(OneLine(WithoutParameterName(argument)), ExitCodes.Failure, true);
            case InvalidOperationException:
                return new(OneLine(exception.Message), ExitCodes.Failure, true);
            default:
                return new(
                    $"{OneLine(exception.Message)} (unexpected {exception.GetType().Name}: run again with --verbose for the stack trace, and please report it)",
                    ExitCodes.Failure,
                    false);
        }
    }

    /// <summary>
    /// What to report for <paramref name="exception"/>, which ended <paramref name="command"/> (its path, such as
    /// <c>projections check</c>). A write the database refused for being read-only (SQLSTATE 25006: a hot standby, or
    /// <c>default_transaction_read_only</c>) says so and where to run the command instead: PostgreSQL's own line
    /// ("cannot execute DELETE in a read-only transaction") names neither, and a check or a dry run, which change
    /// nothing, write too (they compare by folding into the tables and rolling back).
    /// </summary>
    public static CommandFailure From(Exception exception, string command)
    {
        var failure = From(exception);
        if (!RefusedAsReadOnly(exception))
        {
            return failure;
        }

        var comparesByWriting = command is "projections check" or "projections rebuild-case" ? " (a check or a --dry-run too: it compares by writing and rolling back)" : "";
        return failure with
        {
            Message = $"the database is read-only (a hot standby, or default_transaction_read_only is on) and `eventcase {command}` writes to it{comparesByWriting}: run it against the primary ({failure.Message})",
        };
    }

    private static bool RefusedAsReadOnly(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction } => true,
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.Count > 0 && RefusedAsReadOnly(aggregate.Flatten().InnerExceptions[0]),
        { InnerException: { } inner } => RefusedAsReadOnly(inner),
        _ => false,
    };

    /// <summary>The message of an <see cref="ArgumentException"/> without the parameter name .NET appends to it.</summary>
    public static string WithoutParameterName(ArgumentException exception)
    {
        var suffix = exception.ParamName is { } name ? $" (Parameter '{name}')" : null;
        return suffix is not null && exception.Message.EndsWith(suffix, StringComparison.Ordinal)
            ? exception.Message[..^suffix.Length]
            : exception.Message;
    }

    /// <summary><paramref name="message"/> on one line: an error is one line, whatever a library put in it.</summary>
    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
