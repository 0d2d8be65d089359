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
