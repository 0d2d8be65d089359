using System.Globalization;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Escalating;

/// <summary>Raises an open case to escalation tier 1, 2 or 3.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="ToLevel">The new tier, 1–3, above the current one.</param>
/// <param name="Reason">Why.</param>
/// <param name="Now">The current instant.</param>
public sealed record EscalateCase(CaseId CaseId, int ToLevel, string Reason, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <summary>The highest escalation tier (the lowest is 0, not escalated).</summary>
    public const int HighestLevel = 3;

    /// <inheritdoc />
    public override string Action => "Escalate";
}

/// <summary>Lowers the escalation tier of an open case (0 = no longer escalated).</summary>
/// <param name="CaseId">The case.</param>
/// <param name="ToLevel">The new tier, 0–2, below the current one.</param>
/// <param name="Reason">Why.</param>
/// <param name="Now">The current instant.</param>
public sealed record DeescalateCase(CaseId CaseId, int ToLevel, string Reason, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Deescalate";
}

/// <summary>The case was escalated.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="FromLevel">The previous tier (0 = not escalated).</param>
/// <param name="ToLevel">The new tier, 1–3.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
[EventType("case.escalated.v1")]
public sealed record CaseEscalated(CaseId CaseId, int FromLevel, int ToLevel, string Reason, Instant At) : CaseEvent(CaseId, At);

/// <summary>The case was de-escalated.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="FromLevel">The previous tier.</param>
/// <param name="ToLevel">The new tier, 0–2.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
[EventType("case.deescalated.v1")]
public sealed record CaseDeescalated(CaseId CaseId, int FromLevel, int ToLevel, string Reason, Instant At) : CaseEvent(CaseId, At);

internal static class EscalatingRules
{
    /// <summary>The highest escalation tier.</summary>
    public const int MaxLevel = EscalateCase.HighestLevel;

    public static DecisionResult Decide(EscalateCase command, OpenedCase state)
    {
        if (Rules.RequireActive(state, command) is { } rejected)
        {
            return rejected;
        }

        var current = state.EscalationLevel;
        if (command.ToLevel is < 1 or > MaxLevel)
        {
            return Invalid(state, command, command.ToLevel, string.Create(CultureInfo.InvariantCulture,
                $"case {state.Label} is {state.Status} at escalation level {current}; Escalate needs a level from 1 to {MaxLevel}, not {command.ToLevel}"));
        }

        if (command.ToLevel <= current)
        {
            return Invalid(state, command, command.ToLevel, string.Create(CultureInfo.InvariantCulture,
                $"case {state.Label} is {state.Status} at escalation level {current}; Escalate must raise the level, and {command.ToLevel} does not"));
        }

        return Rules.RequireText(state, command, command.Reason, nameof(command.Reason), "a reason")
            ?? (DecisionResult)new CaseEscalated(command.CaseId, current, command.ToLevel, command.Reason, command.Now);
    }

    public static DecisionResult Decide(DeescalateCase command, OpenedCase state)
    {
        if (Rules.RequireActive(state, command) is { } rejected)
        {
            return rejected;
        }

        var current = state.EscalationLevel;
        if (current == 0)
        {
            return Invalid(state, command, command.ToLevel,
                $"case {state.Label} is {state.Status} and not escalated; Deescalate needs an escalated case");
        }

        if (command.ToLevel < 0 || command.ToLevel >= current)
        {
            return Invalid(state, command, command.ToLevel, string.Create(CultureInfo.InvariantCulture,
                $"case {state.Label} is {state.Status} at escalation level {current}; Deescalate needs a lower level from 0 to {current - 1}, not {command.ToLevel}"));
        }

        return Rules.RequireText(state, command, command.Reason, nameof(command.Reason), "a reason")
            ?? (DecisionResult)new CaseDeescalated(command.CaseId, current, command.ToLevel, command.Reason, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, CaseEscalated escalated) => state with { EscalationLevel = escalated.ToLevel };

    public static OpenedCase Apply(OpenedCase state, CaseDeescalated deescalated) => state with { EscalationLevel = deescalated.ToLevel };

    private static InvalidEscalationLevel Invalid(OpenedCase state, CaseCommand command, int requested, string message) =>
        new(state.Label, state.Status, command.Action, state.EscalationLevel, requested, message);
}
