using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using EventCase.Import.Synthesis;

namespace EventCase.Import.Running;

/// <summary>How the events stored for a case relate to the history a run synthesized for it from the source.</summary>
internal enum StoredHistoryRelation
{
    /// <summary>The stored events are the synthesized history, event for event: the case is as the source still has it.</summary>
    Same,

    /// <summary>The stored events are the start of the synthesized history, and the case's decider allows the rest
    /// after them: the case moved on in the source.</summary>
    Start,

    /// <summary>Anything else: an event differs, one was added here, or the source's history no longer continues what
    /// is stored. Nothing may be appended.</summary>
    Different,
}

/// <summary>
/// Compares what an earlier import stored for a case with the history this run synthesized for it. Two events are the
/// same when they have the same id, the same type and the same data, compared as JSON documents (so the order of a
/// dictionary's keys, which the store does not keep, does not matter). Not compared, because they describe the export
/// rather than the case: the metadata (file, line, correlation id) and the opened event's uncompared attributes
/// (<see cref="CaseSynthesizer.UncomparedAttributes"/>: <c>import.status</c> and <c>import.quality</c>, the row's
/// status text and flags as exported, and the mapping's volatile columns, such as Boston's <c>OnTime_Status</c>: a
/// case that moved on from open to closed, or passed its target, has other values of them, and its opening is still
/// the same). They are left out on both sides, so a stored event that has one the synthesized event lacks (written
/// under an earlier mapping, or from a row where the column was empty) is still the same. Pure; thread safe.
/// </summary>
internal static class StoredHistory
{
    /// <summary>How <paramref name="stored"/> (a case stream's events, in order) relates to <paramref name="synthesized"/>,
    /// the opened event's <paramref name="uncompared"/> attributes left out.</summary>
    public static StoredHistoryRelation Relate(
        IReadOnlyList<RecordedEvent> stored, IReadOnlyList<NewEvent> synthesized, EventSerializer serializer, IReadOnlySet<string> uncompared)
    {
        // Event ids alone cannot tell: they are derived from the source id and the event's position, so any two histories
        // of the same case share them position by position (a cancelled case's third event has the id of a closed one's).
        if (stored.Count > synthesized.Count)
        {
            return StoredHistoryRelation.Different;
        }

        for (var i = 0; i < stored.Count; i++)
        {
            if (!IsSameEvent(stored[i], synthesized[i], serializer, uncompared))
            {
                return StoredHistoryRelation.Different;
            }
        }

        if (stored.Count == synthesized.Count)
        {
            return StoredHistoryRelation.Same;
        }

        return DeciderAllows(stored.Select(e => (CaseEvent)e.Data), synthesized.Skip(stored.Count).Select(e => (CaseEvent)e.Data))
            ? StoredHistoryRelation.Start
            : StoredHistoryRelation.Different;
    }

    /// <summary>True when <paramref name="stored"/> is <paramref name="synthesized"/>: same id, type and data, the opened
    /// event's <paramref name="uncompared"/> attributes left out.</summary>
    public static bool IsSameEvent(RecordedEvent stored, NewEvent synthesized, EventSerializer serializer, IReadOnlySet<string> uncompared)
    {
        if (stored.EventId != synthesized.EventId || stored.Data.GetType() != synthesized.Data.GetType())
        {
            return false;
        }

        var type = synthesized.Data.GetType();
        return stored.EventType == serializer.Registry.GetName(type)
            && JsonElement.DeepEquals(
                JsonSerializer.SerializeToElement(WithoutExportDescription(stored.Data, uncompared), type, serializer.Options),
                JsonSerializer.SerializeToElement(WithoutExportDescription(synthesized.Data, uncompared), type, serializer.Options));
    }

    private static object WithoutExportDescription(object data, IReadOnlySet<string> uncompared) => data is CaseOpened opened
        ? opened with
        {
            Attributes = opened.Attributes
                .Where(a => !uncompared.Contains(a.Key))
                .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
        }
        : data;

    /// <summary>
    /// True when the case decider, given the state <paramref name="stored"/> folds to, accepts each event of
    /// <paramref name="continuation"/> in turn as the command that would have produced it. The importer writes history
    /// directly rather than through the decider; what it appends to a case that already exists must still be a move the
    /// case's rules allow from where the case is (a cancelled case cannot be closed).
    /// </summary>
    public static bool DeciderAllows(IEnumerable<CaseEvent> stored, IEnumerable<CaseEvent> continuation) =>
        FirstRefusal(stored, continuation) is null;

    /// <summary>
    /// Why the case decider refuses the first event of <paramref name="continuation"/> it refuses (see
    /// <see cref="DeciderAllows"/>), or null when it accepts them all.
    /// </summary>
    public static string? FirstRefusal(IEnumerable<CaseEvent> stored, IEnumerable<CaseEvent> continuation)
    {
        var state = CaseState.Fold(stored);
        foreach (var @event in continuation)
        {
            CaseCommand? command = @event switch
            {
                CaseAssigned e => new AssignCase(e.CaseId, e.To, e.At),
                CaseResolved e => new ResolveCase(e.CaseId, e.ResolutionCode, e.PublicSummary, e.At),
                CaseClosed e => new CloseCase(e.CaseId, e.At),
                CaseCancelled e => new CancelCase(e.CaseId, e.Reason, e.At),
                CaseTransferred e => new TransferCase(e.CaseId, e.ToAgency, e.Reason, e.At),
                CaseMarkedDuplicate e => new MarkDuplicate(e.CaseId, e.OriginalCaseId, e.OriginalNumber, e.At),

                // The importer appends no other events to an existing case (an opening above all).
                _ => null,
            };
            if (command is null)
            {
                return $"the importer does not append {@event.GetType().Name} to a case that exists";
            }

            if (CaseDecider.Decide(command, state).Rejection is { } rejection)
            {
                return rejection.Message;
            }

            state = CaseDecider.Evolve(state, @event);
        }

        return null;
    }
}
