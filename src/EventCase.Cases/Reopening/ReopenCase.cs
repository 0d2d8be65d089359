using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Reopening;

/// <summary>
/// Reopens a resolved case, back to its assignee (status Assigned), if it is still within the reopen window after
/// resolution. The window is agency policy passed in on the command, so the decision needs no clock or lookup.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="Reason">Why (usually: the citizen says it is not fixed).</param>
/// <param name="ReopenWindow">How long after resolution a reopen is allowed (inclusive).</param>
/// <param name="Now">The current instant.</param>
public sealed record ReopenCase(CaseId CaseId, string Reason, Duration ReopenWindow, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Reopen";
}

/// <summary>The case was reopened; the SLA clock resumes.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When.</param>
[EventType("case.reopened.v1")]
public sealed record CaseReopened(CaseId CaseId, string Reason, Instant At) : CaseEvent(CaseId, At);

internal static class ReopeningRules
{
    public static DecisionResult Decide(ReopenCase command, OpenedCase state)
    {
        if (Rules.RequireStatus(state, command, "a Resolved case", CaseStatus.Resolved) is { } rejected)
        {
            return rejected;
        }

        var resolvedAt = state.Resolution!.At;
        if (command.Now - resolvedAt > command.ReopenWindow)
        {
            return new ReopenWindowElapsed(state.Label, resolvedAt, command.ReopenWindow, command.Now);
        }

        return Rules.RequireText(state, command, command.Reason, nameof(command.Reason), "a reason")
            ?? (DecisionResult)new CaseReopened(command.CaseId, command.Reason, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, CaseReopened reopened) => state with
    {
        Status = state.Assignment is null ? CaseStatus.Open : CaseStatus.Assigned,
        Resolution = null,
        Satisfaction = null,
        ReopenCount = state.ReopenCount + 1,
    };
}
