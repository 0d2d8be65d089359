using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Resolving;

/// <summary>Resolves an assigned case. The SLA clock pauses until the case is closed (stops) or reopened (resumes).</summary>
/// <param name="CaseId">The case.</param>
/// <param name="ResolutionCode">The resolution code ("repaired", "no-action-needed").</param>
/// <param name="PublicSummary">What the citizen is told.</param>
/// <param name="Now">The current instant.</param>
public sealed record ResolveCase(CaseId CaseId, string ResolutionCode, string PublicSummary, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Resolve";
}

/// <summary>The case was resolved.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="ResolutionCode">The resolution code.</param>
/// <param name="PublicSummary">What the citizen is told (written by staff for publication, not personal data).</param>
/// <param name="At">When.</param>
[EventType("case.resolved.v1")]
public sealed record CaseResolved(CaseId CaseId, string ResolutionCode, string PublicSummary, Instant At) : CaseEvent(CaseId, At);

internal static class ResolvingRules
{
    public static DecisionResult Decide(ResolveCase command, OpenedCase state) =>
        Rules.RequireStatus(state, command, "an assigned case that is not resolved yet (Assigned, InProgress or AwaitingCitizen)",
            CaseStatus.Assigned, CaseStatus.InProgress, CaseStatus.AwaitingCitizen)
        ?? Rules.RequireText(state, command, command.ResolutionCode, nameof(command.ResolutionCode), "a resolution code", 100)
        ?? Rules.RequireText(state, command, command.PublicSummary, nameof(command.PublicSummary), "a public summary")
        ?? (DecisionResult)new CaseResolved(command.CaseId, command.ResolutionCode, command.PublicSummary, command.Now);

    public static OpenedCase Apply(OpenedCase state, CaseResolved resolved) => state with
    {
        Status = CaseStatus.Resolved,
        Resolution = new CaseResolution(resolved.ResolutionCode, resolved.PublicSummary, resolved.At),
        Satisfaction = null,
    };
}
