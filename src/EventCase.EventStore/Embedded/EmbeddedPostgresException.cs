namespace EventCase.EventStore.Embedded;

/// <summary>
/// An embedded cluster could not be created, started, reached or stopped. The message says which step failed,
/// the command's output and the tail of the server log.
/// </summary>
public class EmbeddedPostgresException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddedPostgresException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a program the step ran that failed with <paramref name="programExitCode"/>.</summary>
    public EmbeddedPostgresException(string message, int programExitCode)
        : base(message) => ProgramExitCode = programExitCode;

    /// <summary>
    /// The exit code of the program whose failure this is (<c>initdb</c>, <c>pg_ctl</c>, the write check run as the
    /// server's OS user), when one ran and failed; null otherwise. 130 is a program interrupted by SIGINT: Ctrl-C in a
    /// terminal reaches the whole process group, so a caller that was interrupted too can tell this failure from one
    /// of the cluster's own.
    /// </summary>
    public int? ProgramExitCode { get; }
}

/// <summary>
/// No PostgreSQL server binaries (<c>initdb</c>, <c>pg_ctl</c>) were found. The message lists every place searched
/// and how to fix it.
/// </summary>
public sealed class PostgresBinariesNotFoundException : EmbeddedPostgresException
{
    /// <summary>Creates the exception.</summary>
    public PostgresBinariesNotFoundException(string message, IReadOnlyList<string> searched)
        : base(message) => Searched = searched;

    /// <summary>The places searched, in order, each with what was wrong there.</summary>
    public IReadOnlyList<string> Searched { get; }
}
