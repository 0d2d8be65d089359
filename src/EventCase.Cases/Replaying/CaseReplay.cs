using System.Globalization;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Cases.Replaying;

/// <summary>What one event changed in a case, field by field.</summary>
/// <param name="Field">The field, e.g. <c>status</c>, <c>team</c>.</param>
/// <param name="Before">Its value before the event (null when unset).</param>
/// <param name="After">Its value after the event (null when unset).</param>
public sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>One step of a case's history: the event, what it changed, and the state after it.</summary>
/// <param name="Version">The stream version of the event.</param>
/// <param name="Event">The event as recorded (with who, when, why).</param>
/// <param name="Changes">The fields it changed.</param>
/// <param name="StateAfter">The case after the event.</param>
public sealed record ReplayStep(long Version, RecordedEvent Event, IReadOnlyList<FieldChange> Changes, CaseState StateAfter)
{
    /// <summary>
    /// Why it happened, in the actor's words: the reason the event carries (an escalation's, a cancellation's, a
    /// reopening's…), else the one given with the command (<see cref="EventMetadata.Reason"/>); null when neither has
    /// one. The same reason as the audit trail's entry for the event.
    /// </summary>
    public string? Reason => CaseEventReason.Of((CaseEvent)Event.Data, Event.Metadata);
}

/// <summary>A case as it was at a point of its history.</summary>
/// <param name="Version">The last version included (0 when the case did not exist yet).</param>
/// <param name="State">The folded state.</param>
/// <param name="Steps">Every step up to that point.</param>
public sealed record ReplayPoint(long Version, CaseState State, IReadOnlyList<ReplayStep> Steps);

/// <summary>
/// Time travel for auditors: the state of a case at any version or instant, and its history step by step with what
/// each event changed. Pure: it folds the events it is given with <see cref="CaseDecider.Evolve"/>, the same fold
/// every decision uses, so a replay at version N equals the state folded from the first N events.
/// </summary>
public static class CaseReplay
{
    /// <summary>Every step of <paramref name="history"/> (oldest first).</summary>
    public static IReadOnlyList<ReplayStep> Steps(IEnumerable<RecordedEvent> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var steps = new List<ReplayStep>();
        var state = CaseState.Initial;
        var before = Describe(state);
        foreach (var recorded in history)
        {
            if (recorded.Data is not CaseEvent caseEvent)
            {
                continue;
            }

            state = CaseDecider.Evolve(state, caseEvent);
            var after = Describe(state);
            var changes = after.Keys.Union(before.Keys)
                .Where(k => !string.Equals(before.GetValueOrDefault(k), after.GetValueOrDefault(k), StringComparison.Ordinal))
                .Select(k => new FieldChange(k, before.GetValueOrDefault(k), after.GetValueOrDefault(k)))
                .ToList();
            steps.Add(new ReplayStep(recorded.StreamVersion, recorded, changes, state));
            before = after;
        }

        return steps;
    }

    /// <summary>The case as it was after version <paramref name="version"/>.</summary>
    public static ReplayPoint AtVersion(IEnumerable<RecordedEvent> history, long version)
    {
        var steps = Steps(history).TakeWhile(s => s.Version <= version).ToList();
        return new ReplayPoint(steps.Count == 0 ? 0 : steps[^1].Version, steps.Count == 0 ? CaseState.Initial : steps[^1].StateAfter, steps);
    }

    /// <summary>
    /// The case as it was at <paramref name="instant"/>: the longest prefix of its history whose events happened at or
    /// before it. "Happened" is the event's own instant (<see cref="CaseEvent.At"/>): the moment it was decided for live
    /// cases, and the historical moment for imported ones.
    /// </summary>
    public static ReplayPoint AtInstant(IEnumerable<RecordedEvent> history, Instant instant)
    {
        var steps = Steps(history).TakeWhile(s => ((CaseEvent)s.Event.Data).At <= instant).ToList();
        return new ReplayPoint(steps.Count == 0 ? 0 : steps[^1].Version, steps.Count == 0 ? CaseState.Initial : steps[^1].StateAfter, steps);
    }

    /// <summary>The case's fields as text, for diffs and display.</summary>
    public static IReadOnlyDictionary<string, string?> Describe(CaseState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal) { ["status"] = state.Status.ToString() };
        if (state is not OpenedCase c)
        {
            return fields;
        }

        fields["number"] = c.Number.Value;
        fields["agency"] = c.Agency.Value;
        fields["service"] = c.Service.Value;
        fields["channel"] = c.Channel.ToString();
        fields["priority"] = c.Priority.ToString();
        fields["sla"] = c.Sla.ToString();
        fields["openedAt"] = InstantPattern.ExtendedIso.Format(c.OpenedAt);
        fields["team"] = c.Assignment?.Team.Value;
        fields["agent"] = c.Assignment?.Agent?.Value;
        fields["escalationLevel"] = c.EscalationLevel.ToString(CultureInfo.InvariantCulture);
        fields["resolution"] = c.Resolution?.Code;
        fields["resolvedAt"] = c.Resolution is null ? null : InstantPattern.ExtendedIso.Format(c.Resolution.At);
        fields["reopenCount"] = c.ReopenCount.ToString(CultureInfo.InvariantCulture);
        fields["satisfaction"] = c.Satisfaction?.ToString(CultureInfo.InvariantCulture);
        fields["duplicateOf"] = c.DuplicateOf?.Value;
        fields["duplicates"] = c.Duplicates.Count == 0 ? null : string.Join(",", c.Duplicates.Select(x => x.Value));
        fields["transferredTo"] = c.TransferredTo?.Value;
        fields["parent"] = c.Parent?.Value;
        fields["children"] = c.Children.Count == 0 ? null : string.Join(",", c.Children.Select(x => x.Value));
        return fields;
    }
}
