using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.ChangingPriority;

/// <summary>Changes the priority of an open case.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="To">The new priority.</param>
/// <param name="Reason">Why, if given.</param>
/// <param name="Now">The current instant.</param>
public sealed record ChangePriority(CaseId CaseId, CasePriority To, string? Reason, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "ChangePriority";
}

/// <summary>The priority changed.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="From">The previous priority.</param>
/// <param name="To">The new priority.</param>
/// <param name="Reason">Why, if given.</param>
/// <param name="At">When.</param>
[EventType("case.priority-changed.v1")]
public sealed record PriorityChanged(CaseId CaseId, CasePriority From, CasePriority To, string? Reason, Instant At) : CaseEvent(CaseId, At);

internal static class ChangingPriorityRules
{
    public static DecisionResult Decide(ChangePriority command, OpenedCase state)
    {
        if (Rules.RequireActive(state, command) is { } rejected)
        {
            return rejected;
        }

        if (!Enum.IsDefined(command.To))
        {
            return new InvalidCommandInput(state.Label, state.Status, command.Action, nameof(command.To), "a priority of Low, Normal, High or Urgent");
        }

        return command.To == state.Priority
            ? DecisionResult.NothingToDo
            : new PriorityChanged(command.CaseId, state.Priority, command.To, command.Reason, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, PriorityChanged changed) => state with { Priority = changed.To };
}
