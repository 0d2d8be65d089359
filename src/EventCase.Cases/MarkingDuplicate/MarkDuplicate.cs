using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.MarkingDuplicate;

/// <summary>
/// Marks an open case as a duplicate of (merged into) another case, which carries on: an open, resolved or closed case,
/// not one that was cancelled, merged itself or transferred out (merging into those would leave no case carrying the
/// request, and merging into a duplicate would let two cases be merged into each other).
/// </summary>
/// <param name="CaseId">The duplicate case.</param>
/// <param name="OriginalCaseId">The case it duplicates.</param>
/// <param name="OriginalNumber">The original's number, if known, for people reading the history.</param>
/// <param name="Now">The current instant.</param>
/// <param name="OriginalStatus">The original's status as looked up by the caller; null when not known (an import
/// replaying history), which skips the check.</param>
public sealed record MarkDuplicate(CaseId CaseId, CaseId OriginalCaseId, CaseNumber? OriginalNumber, Instant Now, CaseStatus? OriginalStatus = null)
    : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "MarkDuplicate";
}

/// <summary>The case was merged into another one it duplicates.</summary>
/// <param name="CaseId">The duplicate case.</param>
/// <param name="OriginalCaseId">The case it duplicates.</param>
/// <param name="OriginalNumber">The original's number, if known.</param>
/// <param name="At">When.</param>
[EventType("case.marked-duplicate.v1")]
public sealed record CaseMarkedDuplicate(CaseId CaseId, CaseId OriginalCaseId, CaseNumber? OriginalNumber, Instant At) : CaseEvent(CaseId, At);

internal static class MarkingDuplicateRules
{
    public static DecisionResult Decide(MarkDuplicate command, OpenedCase state)
    {
        if (Rules.RequireActive(state, command) is { } rejected)
        {
            return rejected;
        }

        if (command.OriginalCaseId == state.Id)
        {
            return new InvalidCaseLink(state.Label, state.Status, command.Action, command.OriginalCaseId, CaseLinkProblem.SelfReference,
                $"case {state.Label} is {state.Status}; MarkDuplicate needs another case, and a case cannot duplicate itself");
        }

        if (command.OriginalStatus is { } original && !CarriesOn(original))
        {
            var named = command.OriginalNumber?.Value ?? command.OriginalCaseId.Value;
            return new InvalidCaseLink(state.Label, state.Status, command.Action, command.OriginalCaseId, CaseLinkProblem.OriginalDoesNotCarryOn,
                $"case {state.Label} is {state.Status}; MarkDuplicate needs an original that carries on (open, Resolved or Closed), and case {named} is {original}");
        }

        return new CaseMarkedDuplicate(command.CaseId, command.OriginalCaseId, command.OriginalNumber, command.Now);
    }

    private static bool CarriesOn(CaseStatus status) => status.IsActive() || status is CaseStatus.Resolved or CaseStatus.Closed;

    public static OpenedCase Apply(OpenedCase state, CaseMarkedDuplicate marked) =>
        state with { Status = CaseStatus.Duplicate, DuplicateOf = marked.OriginalCaseId };
}
