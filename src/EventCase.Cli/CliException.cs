using EventCase.Cli.Hosting;

namespace EventCase.Cli;

/// <summary>
/// An error to report as one clear line with a non-zero exit code: <see cref="ExitCodes.Failure"/> when the command
/// failed while working, <see cref="ExitCodes.BadArguments"/> when what it was given cannot be used.
/// </summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failure, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The process's exit code for this error.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>
    /// A value, or a file an option names, that cannot be used, found only once the command runs (a checkpoint that is
    /// not one, a key that is not a key): the same exit code as the parser's own argument errors.
    /// </summary>
    public static CliException BadArgument(string message, Exception? inner = null) => new(message, ExitCodes.BadArguments, inner);
}
