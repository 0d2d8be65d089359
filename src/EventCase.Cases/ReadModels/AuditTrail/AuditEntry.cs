using NodaTime;

namespace EventCase.Cases.ReadModels.AuditTrail;

/// <summary>One field a change touched: its value before and after (as text; null when unset).</summary>
/// <param name="Field">The field: <c>status</c>, <c>priority</c>, <c>escalationLevel</c>, <c>team</c>, <c>assignee</c>,
/// <c>transferredTo</c> or <c>duplicateOf</c>.</param>
/// <param name="Before">The value before the event.</param>
/// <param name="After">The value after it.</param>
public sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>
/// One audit entry: who did what to a case, when and why, and which fields changed. Summaries never quote personal
/// data (descriptions, notes, questions and answers, contact details), so an entry survives a citizen's erasure.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="StreamVersion">The event's version in the case stream (the entry's order within the case).</param>
/// <param name="Position">The event's global log position.</param>
/// <param name="EventId">The event's id.</param>
/// <param name="EventType">The event's stable type name, e.g. <c>case.assigned.v1</c>.</param>
/// <param name="ActorId">Who did it.</param>
/// <param name="ActorRole">In which role.</param>
/// <param name="Channel">Through which channel, if recorded.</param>
/// <param name="Summary">What happened, for people.</param>
/// <param name="Reason">Why, as given on the event or in its metadata.</param>
/// <param name="At">When it happened.</param>
/// <param name="RecordedAt">When the store recorded it.</param>
/// <param name="Changes">Fields whose value changed, before → after.</param>
/// <param name="CorrelationId">The request or job that caused it, if recorded.</param>
public sealed record AuditEntry(
    string CaseId,
    long StreamVersion,
    long Position,
    Guid EventId,
    string EventType,
    string ActorId,
    string ActorRole,
    string? Channel,
    string Summary,
    string? Reason,
    Instant At,
    Instant RecordedAt,
    IReadOnlyList<FieldChange> Changes,
    string? CorrelationId);
