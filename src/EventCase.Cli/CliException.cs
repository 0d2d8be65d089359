namespace EventCase.Cli;

/// <summary>An error to report as one clear line with a non-zero exit code.</summary>
internal sealed class CliException(string message) : Exception(message);
