using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;

namespace EventCase.Cases.Lifecycle;

/// <summary>
/// The case decider: <see cref="Decide"/> turns a command and the current state into events or a rejection;
/// <see cref="Evolve"/> folds one event into the state. Both are pure (no I/O, no clock, no ids, no exceptions for
/// business rules) and thread safe. The rules of each command live in its feature folder (<c>Assigning/</c>, …);
/// this class only dispatches. The full (status, command) table is in <c>docs/case-lifecycle.md</c>.
/// </summary>
public static class CaseDecider
{
    /// <summary>Decides a command against the current state.</summary>
    /// <param name="command">The command, carrying the current instant and any looked-up facts.</param>
    /// <param name="state">The state folded from the case's events (<see cref="CaseState.Initial"/> for a new stream).</param>
    /// <returns>The events to append (possibly none) or the rejection.</returns>
    public static DecisionResult Decide(CaseCommand command, CaseState state)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(state);
        if (state is not OpenedCase opened)
        {
            return command is OpenCase open
                ? OpeningRules.Decide(open)
                : new CaseNotFound(command.CaseId.Value, command.Action);
        }

        return command switch
        {
            OpenCase => new CaseAlreadyOpened(opened.Label, opened.Status),
            AssignCase c => AssigningRules.Decide(c, opened),
            UnassignCase c => AssigningRules.Decide(c, opened),
            StartWork c => StartingWorkRules.Decide(c, opened),
            RequestInformation c => RequestingInformationRules.Decide(c, opened),
            RecordInformationReceived c => RequestingInformationRules.Decide(c, opened),
            AddNote c => AddingNotesRules.Decide(c, opened),
            RecordContact c => RecordingContactsRules.Decide(c, opened),
            EscalateCase c => EscalatingRules.Decide(c, opened),
            DeescalateCase c => EscalatingRules.Decide(c, opened),
            ChangePriority c => ChangingPriorityRules.Decide(c, opened),
            TransferCase c => TransferringRules.Decide(c, opened),
            ResolveCase c => ResolvingRules.Decide(c, opened),
            CloseCase c => ClosingRules.Decide(c, opened),
            ReopenCase c => ReopeningRules.Decide(c, opened),
            CancelCase c => CancellingRules.Decide(c, opened),
            MarkDuplicate c => MarkingDuplicateRules.Decide(c, opened),
            MergeDuplicate c => MarkingDuplicateRules.Decide(c, opened),
            LinkParentCase c => LinkingRules.Decide(c, opened),
            LinkChildCase c => LinkingRules.Decide(c, opened),
            RecordFeedback c => RecordingFeedbackRules.Decide(c, opened),
            _ => throw new ArgumentException($"{command.GetType().Name} is not a case command the decider knows.", nameof(command)),
        };
    }

    /// <summary>
    /// Applies one event to the state. Events are facts, so they are applied as given; an event other than
    /// <see cref="CaseOpened"/> on a not-yet-opened case is ignored (a stream never holds one, and replay must not throw).
    /// </summary>
    public static CaseState Evolve(CaseState state, CaseEvent @event)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(@event);
        if (state is not OpenedCase opened)
        {
            return @event is CaseOpened o ? OpeningRules.Apply(o) : state;
        }

        var next = @event switch
        {
            CaseOpened => opened,
            CaseAssigned e => AssigningRules.Apply(opened, e),
            CaseReassigned e => AssigningRules.Apply(opened, e),
            CaseUnassigned e => AssigningRules.Apply(opened, e),
            WorkStarted e => StartingWorkRules.Apply(opened, e),
            InformationRequested e => RequestingInformationRules.Apply(opened, e),
            InformationReceived e => RequestingInformationRules.Apply(opened, e),
            NoteAdded or CitizenContacted => opened,
            CaseEscalated e => EscalatingRules.Apply(opened, e),
            CaseDeescalated e => EscalatingRules.Apply(opened, e),
            PriorityChanged e => ChangingPriorityRules.Apply(opened, e),
            CaseTransferred e => TransferringRules.Apply(opened, e),
            CaseResolved e => ResolvingRules.Apply(opened, e),
            CaseClosed e => ClosingRules.Apply(opened, e),
            CaseReopened e => ReopeningRules.Apply(opened, e),
            CaseCancelled e => CancellingRules.Apply(opened, e),
            CaseMarkedDuplicate e => MarkingDuplicateRules.Apply(opened, e),
            DuplicateCaseMerged e => MarkingDuplicateRules.Apply(opened, e),
            ParentCaseLinked e => LinkingRules.Apply(opened, e),
            ChildCaseLinked e => LinkingRules.Apply(opened, e),
            FeedbackRecorded e => RecordingFeedbackRules.Apply(opened, e),
            _ => opened,
        };
        return next with { LastChangedAt = @event.At };
    }

    /// <summary>Folds events, oldest first, onto <paramref name="state"/>.</summary>
    public static CaseState Fold(CaseState state, IEnumerable<CaseEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Aggregate(state, Evolve);
    }

    /// <summary>Decides, then folds the resulting events: handy for handlers that return the new state.</summary>
    public static (DecisionResult Decision, CaseState State) DecideAndEvolve(CaseCommand command, CaseState state)
    {
        var decision = Decide(command, state);
        return (decision, Fold(state, decision.Events));
    }
}
