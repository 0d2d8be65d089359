namespace EventCase.Cli.Hosting;

/// <summary>The exit codes of every command (README, "The command line"); scripts and schedulers act on them.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;

    /// <summary>The command failed while working: the database, a file it writes, data it cannot read.</summary>
    public const int Failure = 1;

    /// <summary>
    /// What the command was given cannot be used: an unknown option, a bad value, a file that does not exist or is not
    /// what the option takes. Nothing was changed.
    /// </summary>
    public const int BadArguments = 2;

    /// <summary><c>audit verify</c> found something altered (distinct from errors, so that a scheduler can page on it).</summary>
    public const int TamperingFound = 3;

    /// <summary>Interrupted (Ctrl-C), as a shell reports SIGINT. A cancelled <c>import</c> first prints the table of what
    /// it committed and one line saying so.</summary>
    public const int Cancelled = 130;
}
