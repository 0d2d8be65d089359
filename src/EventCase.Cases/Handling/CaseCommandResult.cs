using EventCase.Cases.Lifecycle;

namespace EventCase.Cases.Handling;

/// <summary>
/// What became of a case command: <see cref="Accepted"/> (with the events appended, none for a command that changes
/// nothing), <see cref="AlreadyApplied"/>, <see cref="IdempotencyKeyReused"/>, <see cref="Rejected"/>,
/// <see cref="PreconditionFailed"/> or <see cref="ConcurrencyConflict"/>. A closed hierarchy: switch over it exhaustively. Immutable.
/// </summary>
public abstract record CaseCommandResult
{
    private protected CaseCommandResult()
    {
    }

    /// <summary>How many times the command was decided (1 unless concurrent writers forced a re-decision).</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>The command was accepted. <see cref="Events"/> were appended, so the case is now at <see cref="Version"/>.</summary>
    /// <param name="Version">The case's version after the command (unchanged when there were no events).</param>
    /// <param name="Events">The events appended; empty when the command asks for what is already so (a no-op).</param>
    /// <param name="State">The case after the command.</param>
    public sealed record Accepted(long Version, IReadOnlyList<CaseEvent> Events, CaseState State) : CaseCommandResult
    {
        /// <summary>True when nothing was appended because nothing had to change.</summary>
        public bool IsNoOp => Events.Count == 0;
    }

    /// <summary>
    /// The command carries an idempotency key whose events are already stored: it was applied before, and nothing was
    /// appended now.
    /// </summary>
    /// <param name="Version">The case's version right after the original append (what the first answer said).</param>
    /// <param name="Events">The events the original append stored.</param>
    /// <param name="CurrentVersion">The case's version now (later commands may have followed).</param>
    /// <param name="State">The case now.</param>
    public sealed record AlreadyApplied(long Version, IReadOnlyList<CaseEvent> Events, long CurrentVersion, CaseState State) : CaseCommandResult;

    /// <summary>
    /// The command's idempotency key is already stored in the case, but for another request: another actor sent it, it
    /// was for another command, or its content differed. Nothing was appended, and nothing of the earlier request is
    /// told (it may be someone else's). The caller should use a new key for a new request.
    /// </summary>
    /// <param name="Difference">What differed, in a few words (for example "another actor").</param>
    public sealed record IdempotencyKeyReused(string Difference) : CaseCommandResult;

    /// <summary>The case rules refused the command; nothing was appended.</summary>
    /// <param name="Rejection">Why, with a stable code and a plain message.</param>
    /// <param name="Version">The version the command was decided at.</param>
    public sealed record Rejected(CaseRejection Rejection, long Version) : CaseCommandResult;

    /// <summary>The caller expected another version (HTTP <c>If-Match</c>); nothing was decided or appended.</summary>
    /// <param name="ExpectedVersion">The version the caller expected.</param>
    /// <param name="CurrentVersion">The version the case is at.</param>
    public sealed record PreconditionFailed(long ExpectedVersion, long CurrentVersion) : CaseCommandResult;

    /// <summary>
    /// Other writers changed the case between every load and append, more often than the handler retries; nothing was
    /// appended. The caller may send the command again.
    /// </summary>
    /// <param name="ActualVersion">The case's version at the last failed append.</param>
    public sealed record ConcurrencyConflict(long ActualVersion) : CaseCommandResult;
}
