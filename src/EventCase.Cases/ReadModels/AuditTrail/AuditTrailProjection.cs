using System.Globalization;
using System.Text.Json;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace EventCase.Cases.ReadModels.AuditTrail;

/// <summary>
/// The audit trail read model (async). Its row table (<c>audit_trail</c>) keeps the last known values of each case
/// (a <see cref="CaseSummaryRow"/> without SLA fields) to diff the next event against; each event appends one
/// <see cref="AuditEntry"/> to <c>audit_entries</c>. Query it with <see cref="AuditTrailQueries"/>.
/// </summary>
public sealed class AuditTrailProjection : Projection<CaseSummaryRow>
{
    /// <summary>The projection's (and row table's) name.</summary>
    public const string ProjectionName = "audit_trail";

    /// <summary>The entry table's name.</summary>
    public const string EntriesTable = "audit_entries";

    internal static readonly JsonSerializerOptions ChangesJson = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public override string Name => ProjectionName;

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes => CaseEventTypes.All;

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<CaseSummaryRow>> Columns { get; } =
    [
        ProjectionColumn<CaseSummaryRow>.Long("version", r => r.Version),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<EntryTable> EntryTables { get; } =
    [
        new EntryTable<AuditEntry>(
            EntriesTable,
            [
                ProjectionColumn<AuditEntry>.Long("stream_version", e => e.StreamVersion),
                ProjectionColumn<AuditEntry>.Long("position", e => e.Position),
                ProjectionColumn<AuditEntry>.Text("event_id", e => e.EventId.ToString("D", CultureInfo.InvariantCulture)),
                ProjectionColumn<AuditEntry>.Text("event_type", e => e.EventType),
                ProjectionColumn<AuditEntry>.Text("actor_id", e => e.ActorId),
                ProjectionColumn<AuditEntry>.Text("actor_role", e => e.ActorRole),
                ProjectionColumn<AuditEntry>.Text("channel", e => e.Channel),
                ProjectionColumn<AuditEntry>.Text("summary", e => e.Summary),
                ProjectionColumn<AuditEntry>.Text("reason", e => e.Reason),
                ProjectionColumn<AuditEntry>.Instant("at", e => e.At),
                ProjectionColumn<AuditEntry>.Instant("recorded_at", e => e.RecordedAt),
                ProjectionColumn<AuditEntry>.Text("changes", e => JsonSerializer.Serialize(e.Changes, ChangesJson)),
                ProjectionColumn<AuditEntry>.Text("correlation_id", e => e.CorrelationId),
            ],
            ["tenant_id, row_key, stream_version", "tenant_id, actor_id, at, entry_id"]),
    ];

    /// <inheritdoc />
    public override CaseSummaryRow? Apply(CaseSummaryRow? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(output);
        if (recorded.Data is not CaseEvent e)
        {
            return row;
        }

        var next = CaseSummaryRow.Evolve(row, e, recorded.StreamVersion, calendar: null);
        if (next is null)
        {
            return null;
        }

        var metadata = recorded.Metadata;
        output.Emit(new AuditEntry(
            next.CaseId,
            recorded.StreamVersion,
            recorded.Position,
            recorded.EventId,
            recorded.EventType,
            metadata.ActorId,
            metadata.ActorRole,
            metadata.Channel,
            Summarize(e),
            CaseEventReason.Of(e, metadata),
            e.At,
            recorded.RecordedAt,
            Diff(row, next),
            metadata.CorrelationId));
        return next;
    }

    private static string Summarize(CaseEvent e) => e switch
    {
        // The parts naming the other side of a transfer appear only on events that have one: older summaries are unchanged.
        CaseOpened x => Text(
            $"Opened {x.Number} for {x.Service} via {N(x.Channel)} with priority {N(x.Priority)} (SLA {x.Sla}){(x.TransferredFrom is { } from ? $", transferred from {from.Agency} case {from.Number}" : "")}"),
        CaseAssigned x => Text($"Assigned to {x.To}"),
        CaseReassigned x => Text($"Reassigned from {x.From} to {x.To}"),
        CaseUnassigned x => Text($"Unassigned from {x.From}"),
        WorkStarted => "Work started",
        InformationRequested x => Text($"Information requested from the citizen by {N(x.Via)}"),
        InformationReceived x => Text($"Information received from the citizen by {N(x.Via)}"),
        NoteAdded x => Text($"{(x.Visibility == NoteVisibility.Public ? "Public" : "Internal")} note added"),
        CitizenContacted x => Text($"{(x.Direction == ContactDirection.Inbound ? "Inbound" : "Outbound")} contact with the citizen by {N(x.Channel)}"),
        CaseEscalated x => Text($"Escalated from level {x.FromLevel} to {x.ToLevel}"),
        CaseDeescalated x => Text($"De-escalated from level {x.FromLevel} to {x.ToLevel}"),
        PriorityChanged x => Text($"Priority changed from {N(x.From)} to {N(x.To)}"),
        CaseTransferred x => Text($"Transferred from {x.FromAgency} to {x.ToAgency}{(x.ToNumber is { } to ? $" as case {to}" : "")}"),
        CaseResolved x => Text($"Resolved as {x.ResolutionCode}: {x.PublicSummary}"),
        CaseClosed => "Closed",
        CaseReopened => "Reopened",
        CaseCancelled => "Cancelled",
        CaseMarkedDuplicate x => Text($"Marked as a duplicate of {(x.OriginalNumber?.Value ?? x.OriginalCaseId.Value)}"),
        DuplicateCaseMerged x => Text($"Case {(x.DuplicateNumber?.Value ?? x.DuplicateCaseId.Value)} was merged into this case as a duplicate"),
        ParentCaseLinked x => Text($"Linked to parent case {x.ParentCaseId}"),
        ChildCaseLinked x => Text($"Linked child case {x.ChildCaseId}"),
        FeedbackRecorded x => Text($"Citizen rated the resolution {x.Satisfaction}/5"),
        _ => e.GetType().Name,
    };

    private static IReadOnlyList<FieldChange> Diff(CaseSummaryRow? before, CaseSummaryRow after)
    {
        var changes = new List<FieldChange>();
        void Compare(string field, string? a, string? b)
        {
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                changes.Add(new FieldChange(field, a, b));
            }
        }

        Compare("status", before is null ? null : N(before.Status), N(after.Status));
        Compare("priority", before is null ? null : N(before.Priority), N(after.Priority));
        Compare("escalationLevel", before?.EscalationLevel.ToString(CultureInfo.InvariantCulture), after.EscalationLevel.ToString(CultureInfo.InvariantCulture));
        Compare("team", before?.Team, after.Team);
        Compare("assignee", before?.Assignee, after.Assignee);
        Compare("transferredTo", before?.TransferredTo, after.TransferredTo);
        Compare("duplicateOf", before?.DuplicateOf, after.DuplicateOf);
        return changes;
    }

    private static string N<TEnum>(TEnum value)
        where TEnum : struct, Enum => ReadModelText.Name(value);

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
