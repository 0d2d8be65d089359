using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.AddingNotes;

/// <summary>Who may read a note.</summary>
public enum NoteVisibility
{
    /// <summary>Staff only.</summary>
    Internal,

    /// <summary>Shown to the citizen on the status page too.</summary>
    Public,
}

/// <summary>Adds a note to a case, in any status once opened (auditors and staff annotate closed cases too).</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Visibility">Internal or public.</param>
/// <param name="Text">The note.</param>
/// <param name="Now">The current instant.</param>
public sealed record AddNote(CaseId CaseId, NoteVisibility Visibility, string Text, Instant Now) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "AddNote";
}

/// <summary>A note was added.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Visibility">Internal or public.</param>
/// <param name="Text">The note. Personal data: notes routinely name the citizen and their circumstances.</param>
/// <param name="At">When.</param>
[EventType("case.note-added.v1")]
public sealed record NoteAdded(CaseId CaseId, NoteVisibility Visibility, [property: PersonalData] string Text, Instant At) : CaseEvent(CaseId, At);

internal static class AddingNotesRules
{
    public static DecisionResult Decide(AddNote command, OpenedCase state) =>
        Rules.RequireText(state, command, command.Text, nameof(command.Text), "a note text")
        ?? (DecisionResult)new NoteAdded(command.CaseId, command.Visibility, command.Text, command.Now);
}
