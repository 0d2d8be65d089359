using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.RecordingFeedback;

/// <summary>Records the citizen's feedback on a resolution: satisfaction 1–5 and an optional comment.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Satisfaction">1 (very unhappy) to 5 (very happy).</param>
/// <param name="Comment">What the citizen wrote, if anything.</param>
/// <param name="Now">The current instant.</param>
public sealed record RecordFeedback(CaseId CaseId, int Satisfaction, string? Comment, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "RecordFeedback";
}

/// <summary>The citizen gave feedback.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Satisfaction">1–5.</param>
/// <param name="Comment">What the citizen wrote (personal data).</param>
/// <param name="At">When.</param>
[EventType("case.feedback-recorded.v1")]
public sealed record FeedbackRecorded(CaseId CaseId, int Satisfaction, [property: PersonalData] string? Comment, Instant At) : CaseEvent(CaseId, At);

internal static class RecordingFeedbackRules
{
    public static DecisionResult Decide(RecordFeedback command, OpenedCase state)
    {
        if (Rules.RequireStatus(state, command, "a Resolved or Closed case", CaseStatus.Resolved, CaseStatus.Closed) is { } rejected)
        {
            return rejected;
        }

        if (command.Satisfaction is < 1 or > 5)
        {
            return new InvalidCommandInput(state.Label, state.Status, command.Action, nameof(command.Satisfaction),
                $"a satisfaction from 1 to 5, not {command.Satisfaction.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        return state.Satisfaction is not null
            ? new FeedbackAlreadyRecorded(state.Label, state.Status)
            : new FeedbackRecorded(command.CaseId, command.Satisfaction, command.Comment, command.Now);
    }

    public static OpenedCase Apply(OpenedCase state, FeedbackRecorded recorded) => state with { Satisfaction = recorded.Satisfaction };
}
