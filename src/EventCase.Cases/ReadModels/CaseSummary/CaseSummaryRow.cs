using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;
using NodaTime;

namespace EventCase.Cases.ReadModels.CaseSummary;

/// <summary>
/// The current state of one case as agents and citizens see it. One row per case stream; also the row of the work
/// queue and the "last known values" of the audit trail. Immutable.
/// </summary>
/// <param name="CaseId">The case id (stream id).</param>
/// <param name="CaseNumber">The human-readable number, e.g. <c>BOS-2026-000123</c>.</param>
/// <param name="Agency">The agency holding the case (the stream's tenant).</param>
/// <param name="Service">The service code.</param>
/// <param name="Channel">Where the request came in.</param>
/// <param name="Status">The current status.</param>
/// <param name="Priority">The current priority.</param>
/// <param name="EscalationLevel">Escalation tier, 0–3.</param>
/// <param name="Team">The team responsible, if assigned (kept through resolution, as in the decider).</param>
/// <param name="Assignee">The agent working the case, if one was picked.</param>
/// <param name="CitizenReference">The pseudonymous reference of the citizen who asked, if known.</param>
/// <param name="Latitude">Latitude of the location, if given.</param>
/// <param name="Longitude">Longitude of the location, if given.</param>
/// <param name="Address">The address as given, if any (personal data).</param>
/// <param name="OpenedAt">When the case opened.</param>
/// <param name="UpdatedAt">When its last event happened.</param>
/// <param name="ResolvedAt">When the current resolution happened; null when not resolved (a reopen clears it).</param>
/// <param name="ClosedAt">When it closed, if it did.</param>
/// <param name="ReopenCount">How often it was reopened.</param>
/// <param name="TransferredTo">The agency it was handed to, when transferred out.</param>
/// <param name="DuplicateOf">The case it duplicates, when marked duplicate.</param>
/// <param name="Sla">The SLA timeline so far.</param>
/// <param name="SlaDue">When the SLA target runs out given the pauses so far; null while a pause lasts that began before the target ran out.</param>
/// <param name="SlaBreachedAt">When the target was missed, as known at the last event (see <see cref="IsSlaBreached"/>).</param>
/// <param name="Version">The stream version the row reflects.</param>
/// <param name="TransferredToNumber">The receiving agency's case number, when transferred out with a receiving case.</param>
/// <param name="TransferredFromAgency">The agency whose case this one took over, when a transfer opened it.</param>
/// <param name="TransferredFromNumber">That case's number.</param>
public sealed record CaseSummaryRow(
    string CaseId,
    string CaseNumber,
    string Agency,
    string Service,
    Channel Channel,
    CaseStatus Status,
    CasePriority Priority,
    int EscalationLevel,
    string? Team,
    string? Assignee,
    string? CitizenReference,
    double? Latitude,
    double? Longitude,
    string? Address,
    Instant OpenedAt,
    Instant UpdatedAt,
    Instant? ResolvedAt,
    Instant? ClosedAt,
    int ReopenCount,
    string? TransferredTo,
    string? DuplicateOf,
    SlaProgress Sla,
    Instant? SlaDue,
    Instant? SlaBreachedAt,
    long Version,
    string? TransferredToNumber = null,
    string? TransferredFromAgency = null,
    string? TransferredFromNumber = null)
{
    /// <summary>
    /// True when the SLA target is missed as of <paramref name="now"/>: it was missed by the last event, or the clock
    /// has run past the due instant since (no event needs to happen for a case to breach). At the due instant itself
    /// the case is not breached yet, as in <see cref="SlaClock"/>.
    /// </summary>
    public bool IsSlaBreached(Instant now) => SlaBreachedAt is not null || (Sla.StoppedAt is null && SlaDue is { } due && due < now);

    /// <summary>
    /// The row with <see cref="SlaBreachedAt"/> as of <paramref name="now"/> instead of as of the last event: the due
    /// instant, when the clock has run past it since (<see cref="IsSlaBreached"/>). What a list shown to people should
    /// say: a case breaches without an event.
    /// </summary>
    public CaseSummaryRow WithSlaBreachAsOf(Instant now) => SlaBreachedAt is null && IsSlaBreached(now) ? this with { SlaBreachedAt = SlaDue } : this;

    /// <summary>
    /// Folds one event into the summary. Pure. Events before <see cref="CaseOpened"/> are ignored, as in the decider.
    /// </summary>
    /// <param name="row">The row so far, or null before the case opened.</param>
    /// <param name="event">The case event.</param>
    /// <param name="version">The event's stream version.</param>
    /// <param name="calendar">The agency's calendar, in force throughout, to compute <see cref="SlaDue"/> and
    /// <see cref="SlaBreachedAt"/>; null leaves them as they were (for read models that do not show the SLA).</param>
    public static CaseSummaryRow? Evolve(CaseSummaryRow? row, CaseEvent @event, long version, BusinessCalendar? calendar) =>
        Evolve(row, @event, version, calendar is null ? null : CalendarHistory.Of(calendar));

    /// <summary>
    /// Folds one event into the summary, its SLA fields counted on the agency's calendars over time. Pure. Events
    /// before <see cref="CaseOpened"/> are ignored, as in the decider.
    /// </summary>
    /// <param name="row">The row so far, or null before the case opened.</param>
    /// <param name="event">The case event.</param>
    /// <param name="version">The event's stream version.</param>
    /// <param name="calendars">The agency's calendars over time, to compute <see cref="SlaDue"/> and
    /// <see cref="SlaBreachedAt"/>; null leaves them as they were.</param>
    public static CaseSummaryRow? Evolve(CaseSummaryRow? row, CaseEvent @event, long version, CalendarHistory? calendars)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (row is null)
        {
            return @event is CaseOpened opened ? WithSla(Open(opened, version), calendars) : null;
        }

        // One copy of the row per event: every arm sets the fields all events set (the SLA timeline, the instant, the
        // version) along with its own. Two copies (the arm's, then the common fields) were a third of a rebuild's
        // allocation.
        var sla = row.Sla.Apply(@event);
        var at = @event.At;
        var next = @event switch
        {
            CaseAssigned e => row with { Status = CaseStatus.Assigned, Team = e.To.Team.Value, Assignee = e.To.Agent?.Value, Sla = sla, UpdatedAt = at, Version = version },
            CaseReassigned e => row with { Team = e.To.Team.Value, Assignee = e.To.Agent?.Value, Sla = sla, UpdatedAt = at, Version = version },
            CaseUnassigned => row with { Status = CaseStatus.Open, Team = null, Assignee = null, Sla = sla, UpdatedAt = at, Version = version },
            WorkStarted => row with { Status = CaseStatus.InProgress, Sla = sla, UpdatedAt = at, Version = version },
            InformationRequested => row with { Status = CaseStatus.AwaitingCitizen, Sla = sla, UpdatedAt = at, Version = version },
            InformationReceived => row with { Status = CaseStatus.InProgress, Sla = sla, UpdatedAt = at, Version = version },
            CaseEscalated e => row with { EscalationLevel = e.ToLevel, Sla = sla, UpdatedAt = at, Version = version },
            CaseDeescalated e => row with { EscalationLevel = e.ToLevel, Sla = sla, UpdatedAt = at, Version = version },
            PriorityChanged e => row with { Priority = e.To, Sla = sla, UpdatedAt = at, Version = version },
            CaseTransferred e => row with
            {
                Status = CaseStatus.TransferredOut, TransferredTo = e.ToAgency.Value, TransferredToNumber = e.ToNumber?.Value, Sla = sla, UpdatedAt = at, Version = version,
            },
            CaseResolved e => row with { Status = CaseStatus.Resolved, ResolvedAt = e.At, Sla = sla, UpdatedAt = at, Version = version },
            CaseClosed e => row with { Status = CaseStatus.Closed, ClosedAt = e.At, Sla = sla, UpdatedAt = at, Version = version },
            CaseReopened => row with { Status = row.Team is null ? CaseStatus.Open : CaseStatus.Assigned, ResolvedAt = null, ReopenCount = row.ReopenCount + 1, Sla = sla, UpdatedAt = at, Version = version },
            CaseCancelled => row with { Status = CaseStatus.Cancelled, Sla = sla, UpdatedAt = at, Version = version },
            CaseMarkedDuplicate e => row with { Status = CaseStatus.Duplicate, DuplicateOf = e.OriginalCaseId.Value, Sla = sla, UpdatedAt = at, Version = version },
            _ => row with { Sla = sla, UpdatedAt = at, Version = version },
        };
        return ReferenceEquals(sla, row.Sla) ? WithUnchangedSla(next, row, calendars) : WithSla(next, calendars);
    }

    private static CaseSummaryRow Open(CaseOpened e, long version) => new(
        e.CaseId.Value,
        e.Number.Value,
        e.Agency.Value,
        e.Service.Value,
        e.Channel,
        CaseStatus.Open,
        e.Priority,
        EscalationLevel: 0,
        Team: null,
        Assignee: null,
        e.Citizen?.Reference,
        e.Location?.Point?.Latitude,
        e.Location?.Point?.Longitude,
        e.Location?.Address,
        e.At,
        e.At,
        ResolvedAt: null,
        ClosedAt: null,
        ReopenCount: 0,
        TransferredTo: null,
        DuplicateOf: null,
        SlaProgress.Start(e),
        SlaDue: null,
        SlaBreachedAt: null,
        version,
        TransferredToNumber: null,
        e.TransferredFrom?.Agency.Value,
        e.TransferredFrom?.Number.Value);

    private static CaseSummaryRow WithSla(CaseSummaryRow row, CalendarHistory? calendars)
    {
        if (calendars is null)
        {
            return row;
        }

        var clock = row.Sla.ClockAt(calendars, row.UpdatedAt);
        return clock.Due == row.SlaDue && clock.BreachedAt == row.SlaBreachedAt ? row : row with { SlaDue = clock.Due, SlaBreachedAt = clock.BreachedAt };
    }

    /// <summary>
    /// The SLA fields after an event that left the SLA timeline as it was (a note, an assignment, most events). Why
    /// not recompute: the clock walks business days for every event of a rebuild, most of a rebuild's fold. With the
    /// timeline unchanged the due instant is unchanged (it depends on the target, the start, the pauses and the
    /// calendars, not on the evaluation instant; a calendar change rebuilds the rows), and a breach only moves from "not yet" to "at the due instant" as time
    /// passes: once breached, a case stays breached at the same instant; while the due instant is still ahead of the
    /// event (or at it), it is not breached. Only when the event passes a due instant not yet breached is the clock computed.
    /// A test folds every scripted case both ways and compares.
    /// </summary>
    private static CaseSummaryRow WithUnchangedSla(CaseSummaryRow next, CaseSummaryRow previous, CalendarHistory? calendars)
    {
        if (calendars is null || previous.SlaDue is not { } due)
        {
            // No calendar: the fields stay as they were. No due instant (a pause with time left, or fields never
            // computed): compute, as before this shortcut existed.
            return WithSla(next, calendars);
        }

        // An event dated before the previous one (imported history can be) gets the full computation.
        return (previous.SlaBreachedAt is not null && next.UpdatedAt >= previous.UpdatedAt) || (previous.SlaBreachedAt is null && due >= next.UpdatedAt)
            ? next
            : WithSla(next, calendars);
    }
}
