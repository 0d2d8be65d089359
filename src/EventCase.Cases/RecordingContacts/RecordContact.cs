using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.RecordingContacts;

/// <summary>Who started a contact.</summary>
public enum ContactDirection
{
    /// <summary>The citizen contacted the agency.</summary>
    Inbound,

    /// <summary>The agency contacted the citizen.</summary>
    Outbound,
}

/// <summary>Records a contact with the citizen (a call, an e-mail, a visit), in any status once opened.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Direction">Who started it.</param>
/// <param name="Channel">How.</param>
/// <param name="Summary">What was said.</param>
/// <param name="Now">The current instant.</param>
public sealed record RecordContact(CaseId CaseId, ContactDirection Direction, Channel Channel, string Summary, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "RecordContact";
}

/// <summary>A contact with the citizen took place.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Direction">Who started it.</param>
/// <param name="Channel">How.</param>
/// <param name="Summary">What was said (personal data).</param>
/// <param name="At">When.</param>
[EventType("case.citizen-contacted.v1")]
public sealed record CitizenContacted(CaseId CaseId, ContactDirection Direction, Channel Channel, [property: PersonalData] string Summary, Instant At) : CaseEvent(CaseId, At);

internal static class RecordingContactsRules
{
    public static DecisionResult Decide(RecordContact command, OpenedCase state) =>
        Rules.RequireText(state, command, command.Summary, nameof(command.Summary), "a summary of the contact")
        ?? (DecisionResult)new CitizenContacted(command.CaseId, command.Direction, command.Channel, command.Summary, command.Now);
}
