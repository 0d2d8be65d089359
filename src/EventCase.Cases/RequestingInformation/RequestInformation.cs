using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.RequestingInformation;

/// <summary>Asks the citizen for information; the case waits (and its SLA clock pauses) until it arrives.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Question">What the citizen is asked.</param>
/// <param name="Via">How the question is sent.</param>
/// <param name="Now">The current instant.</param>
public sealed record RequestInformation(CaseId CaseId, string Question, Channel Via, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "RequestInformation";
}

/// <summary>Records the citizen's answer; work resumes.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Response">What the citizen sent.</param>
/// <param name="Via">How it arrived.</param>
/// <param name="Now">The current instant.</param>
public sealed record RecordInformationReceived(CaseId CaseId, string Response, Channel Via, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "RecordInformationReceived";
}

/// <summary>The citizen was asked for information.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Question">The question. Personal data: it routinely quotes the citizen's circumstances.</param>
/// <param name="Via">How it was sent.</param>
/// <param name="At">When.</param>
[EventType("case.information-requested.v1")]
public sealed record InformationRequested(CaseId CaseId, [property: PersonalData] string Question, Channel Via, Instant At) : CaseEvent(CaseId, At);

/// <summary>The citizen's information arrived.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Response">What the citizen wrote (personal data).</param>
/// <param name="Via">How it arrived.</param>
/// <param name="At">When.</param>
[EventType("case.information-received.v1")]
public sealed record InformationReceived(CaseId CaseId, [property: PersonalData] string Response, Channel Via, Instant At) : CaseEvent(CaseId, At);

internal static class RequestingInformationRules
{
    public static DecisionResult Decide(RequestInformation command, OpenedCase state) =>
        Rules.RequireStatus(state, command, "a case InProgress", CaseStatus.InProgress)
        ?? Rules.RequireText(state, command, command.Question, nameof(command.Question), "a question for the citizen")
        ?? (DecisionResult)new InformationRequested(command.CaseId, command.Question, command.Via, command.Now);

    public static DecisionResult Decide(RecordInformationReceived command, OpenedCase state) =>
        Rules.RequireStatus(state, command, "a case AwaitingCitizen", CaseStatus.AwaitingCitizen)
        ?? Rules.RequireText(state, command, command.Response, nameof(command.Response), "the citizen's response")
        ?? (DecisionResult)new InformationReceived(command.CaseId, command.Response, command.Via, command.Now);

    public static OpenedCase Apply(OpenedCase state, InformationRequested requested) => state with { Status = CaseStatus.AwaitingCitizen };

    public static OpenedCase Apply(OpenedCase state, InformationReceived received) => state with { Status = CaseStatus.InProgress };
}
