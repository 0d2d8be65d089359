using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Cancelling;

/// <summary>
/// Cancels an open case (withdrawn by the citizen, invalid, not the agency's business). Not one that other cases were
/// merged into as duplicates: their requests are carried by it, and would be lost with it (resolve it instead).
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="Reason">Why.</param>
/// <param name="Now">The current instant.</param>
public sealed record CancelCase(CaseId CaseId, string Reason, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Cancel";
}

/// <summary>The case was cancelled.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
[EventType("case.cancelled.v1")]
public sealed record CaseCancelled(CaseId CaseId, string Reason, Instant At) : CaseEvent(CaseId, At);

internal static class CancellingRules
{
    public static DecisionResult Decide(CancelCase command, OpenedCase state) =>
        Rules.RequireActive(state, command)
        ?? MarkingDuplicateRules.RequireNoDuplicates(state, command, "resolve it instead, so that every request it carries is answered")
        ?? Rules.RequireText(state, command, command.Reason, nameof(command.Reason), "a reason")
        ?? (DecisionResult)new CaseCancelled(command.CaseId, command.Reason, command.Now);

    public static OpenedCase Apply(OpenedCase state, CaseCancelled cancelled) => state with { Status = CaseStatus.Cancelled };
}
