using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Assigning;

/// <summary>Assigns an open case to a team (and optionally an agent), or reassigns it.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="To">The new assignment.</param>
/// <param name="Now">The current instant.</param>
public sealed record AssignCase(CaseId CaseId, Assignment To, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Assign";
}

/// <summary>Takes an assigned case back to the unassigned pool.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Reason">Why, if given.</param>
/// <param name="Now">The current instant.</param>
public sealed record UnassignCase(CaseId CaseId, string? Reason, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Unassign";
}

/// <summary>An unassigned case was assigned.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="To">Who got it.</param>
/// <param name="At">When.</param>
[EventType("case.assigned.v1")]
public sealed record CaseAssigned(CaseId CaseId, Assignment To, Instant At) : CaseEvent(CaseId, At);

/// <summary>An assigned case moved to another team or agent; its status stays as it was.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="From">The previous assignment.</param>
/// <param name="To">The new assignment.</param>
/// <param name="At">When.</param>
[EventType("case.reassigned.v1")]
public sealed record CaseReassigned(CaseId CaseId, Assignment From, Assignment To, Instant At) : CaseEvent(CaseId, At);

/// <summary>A case went back to the unassigned pool.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="From">The assignment it had.</param>
/// <param name="Reason">Why, if given.</param>
/// <param name="At">When.</param>
[EventType("case.unassigned.v1")]
public sealed record CaseUnassigned(CaseId CaseId, Assignment From, string? Reason, Instant At) : CaseEvent(CaseId, At);

internal static class AssigningRules
{
    public static DecisionResult Decide(AssignCase command, OpenedCase state)
    {
        if (Rules.RequireActive(state, command) is { } rejected)
        {
            return rejected;
        }

        if (state.Assignment is not { } current || state.Status == CaseStatus.Open)
        {
            return new CaseAssigned(command.CaseId, command.To, command.Now);
        }

        // Assigning to whoever already has it changes nothing: accepted, no events (safe to retry).
        return current == command.To
            ? DecisionResult.NothingToDo
            : new CaseReassigned(command.CaseId, current, command.To, command.Now);
    }

    public static DecisionResult Decide(UnassignCase command, OpenedCase state)
    {
        // Not from AwaitingCitizen: the case is waiting on the citizen, and the pause of the SLA clock must end with the
        // information arriving, not with a change of hands.
        return Rules.RequireStatus(state, command, "an assigned case (Assigned or InProgress)", CaseStatus.Assigned, CaseStatus.InProgress)
            ?? (DecisionResult)new CaseUnassigned(command.CaseId, state.Assignment!, command.Reason, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, CaseAssigned assigned) =>
        state with { Status = CaseStatus.Assigned, Assignment = assigned.To };

    public static OpenedCase Apply(OpenedCase state, CaseReassigned reassigned) =>
        state with { Assignment = reassigned.To };

    public static OpenedCase Apply(OpenedCase state, CaseUnassigned unassigned) =>
        state with { Status = CaseStatus.Open, Assignment = null };
}
