using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Closing;

/// <summary>Closes a resolved case for good.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Now">The current instant.</param>
public sealed record CloseCase(CaseId CaseId, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Close";
}

/// <summary>The case was closed.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="At">When.</param>
[EventType("case.closed.v1")]
public sealed record CaseClosed(CaseId CaseId, Instant At) : CaseEvent(CaseId, At);

internal static class ClosingRules
{
    public static DecisionResult Decide(CloseCase command, OpenedCase state) =>
        Rules.RequireStatus(state, command, "a Resolved case", CaseStatus.Resolved)
        ?? (DecisionResult)new CaseClosed(command.CaseId, command.Now);

    public static OpenedCase Apply(OpenedCase state, CaseClosed closed) => state with { Status = CaseStatus.Closed };
}
