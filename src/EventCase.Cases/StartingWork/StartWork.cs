using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.StartingWork;

/// <summary>The assignee starts working on the case.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Now">The current instant.</param>
public sealed record StartWork(CaseId CaseId, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "StartWork";
}

/// <summary>Work on the case started.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="At">When.</param>
[EventType("case.work-started.v1")]
public sealed record WorkStarted(CaseId CaseId, Instant At) : CaseEvent(CaseId, At);

internal static class StartingWorkRules
{
    public static DecisionResult Decide(StartWork command, OpenedCase state) =>
        Rules.RequireStatus(state, command, "an Assigned case", CaseStatus.Assigned)
        ?? (DecisionResult)new WorkStarted(command.CaseId, command.Now);

    public static OpenedCase Apply(OpenedCase state, WorkStarted started) => state with { Status = CaseStatus.InProgress };
}
