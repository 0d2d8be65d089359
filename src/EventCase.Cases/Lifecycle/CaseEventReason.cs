using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Escalating;
using EventCase.Cases.Reopening;
using EventCase.Cases.Transferring;
using EventCase.EventStore.Metadata;

namespace EventCase.Cases.Lifecycle;

/// <summary>
/// Why a case event happened, in the actor's words: the reason the event carries (an escalation's, a cancellation's,
/// a reopening's…), else the one given with the command (<see cref="EventMetadata.Reason"/>). The service records
/// reasons only in the events, so a history that showed only the metadata's would show none at all.
/// </summary>
internal static class CaseEventReason
{
    /// <summary>The reason for <paramref name="e"/>, or null when neither it nor <paramref name="metadata"/> has one.</summary>
    public static string? Of(CaseEvent e, EventMetadata metadata) => e switch
    {
        CaseUnassigned x => x.Reason,
        CaseEscalated x => x.Reason,
        CaseDeescalated x => x.Reason,
        PriorityChanged x => x.Reason,
        CaseTransferred x => x.Reason,
        CaseReopened x => x.Reason,
        CaseCancelled x => x.Reason,
        _ => null,
    } ?? metadata.Reason;
}
