using NodaTime;

namespace EventCase.Cases.Lifecycle;

/// <summary>Something that happened to a case: a past-tense fact, never changed once appended.</summary>
/// <param name="CaseId">The case it happened to.</param>
/// <param name="At">When it happened (the command's <c>Now</c>).</param>
public abstract record CaseEvent(CaseId CaseId, Instant At);

/// <summary>
/// A request to change a case. Commands carry everything the decision needs that is not in the case's own history:
/// the current instant, new ids and numbers, and looked-up facts (the service definition, the ancestry of a case to
/// link, the reopen window), so that deciding stays pure.
/// </summary>
/// <param name="CaseId">The case to change.</param>
/// <param name="Now">The instant the command is decided at; becomes the events' <c>At</c>.</param>
public abstract record CaseCommand(CaseId CaseId, Instant Now)
{
    /// <summary>The command's name as people say it, used in rejection messages ("Assign", "StartWork").</summary>
    public abstract string Action { get; }
}
