using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using NodaTime;

namespace EventCase.Cases.ReadModels.WorkQueues;

/// <summary>
/// The work queues read model (<c>work_queue</c>), applied inline. Its rows are case summaries of cases that are not
/// final yet; <c>queued</c> is true while the case is open (Open, Assigned, InProgress, AwaitingCitizen). A resolved
/// case keeps its row (unqueued) because a reopen puts it back; a final case (closed, cancelled, merged, transferred
/// out) loses it, since no command leads out of a final status. Query it with <see cref="WorkQueueQueries"/>.
/// </summary>
/// <remarks>
/// The queue order is escalation level DESC, priority DESC, SLA due ASC, case id ASC. To make it one ascending
/// row value that keyset paging can compare with <c>(a, b, c) &gt; (x, y, z)</c> and a B-tree can serve in one
/// direction, the row stores <c>urgency_rank</c> = (3 − escalation level) × 4 + (3 − priority), smallest first, and
/// <c>sort_due</c> = the SLA due instant or <see cref="NoDue"/> when there is none (paused), so that it is never null.
/// </remarks>
/// <param name="calendars">The agencies' business calendars, for the SLA due instant.</param>
public sealed class WorkQueueProjection(IAgencyCalendars calendars) : Projection<CaseSummaryRow>
{
    /// <summary>The projection's (and table's) name.</summary>
    public const string ProjectionName = "work_queue";

    /// <summary>The <c>sort_due</c> of a case without an SLA due instant (its clock is paused): after every real one.</summary>
    public static readonly Instant NoDue = Instant.FromUtc(9999, 12, 31, 0, 0);

    /// <inheritdoc />
    public override string Name => ProjectionName;

    /// <summary>
    /// 2: a case is breached once its clock has run past the due instant, not at it; time is counted on the calendar in
    /// force while it passed. 3: a working minute counts once on a clock-change day whose periods overlap in real time (due
    /// instants and business hours stored by 2 could count it twice).
    /// </summary>
    public override int Version => 3;

    /// <inheritdoc />
    public override ProjectionMode Mode => ProjectionMode.Inline;

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes => CaseEventTypes.All;

    /// <inheritdoc />
    public override bool ReadsMetadata => false;

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<CaseSummaryRow>> Columns { get; } =
    [
        ProjectionColumn<CaseSummaryRow>.Bool("queued", r => r.Status.IsActive()),
        ProjectionColumn<CaseSummaryRow>.Text("team", r => r.Team),
        ProjectionColumn<CaseSummaryRow>.Text("assignee", r => r.Assignee),
        ProjectionColumn<CaseSummaryRow>.Int("urgency_rank", UrgencyRank),
        ProjectionColumn<CaseSummaryRow>.Instant("sort_due", r => r.SlaDue ?? NoDue),
        ProjectionColumn<CaseSummaryRow>.Text("status", r => ReadModelText.Name(r.Status)),
        ProjectionColumn<CaseSummaryRow>.Text("service", r => r.Service),
        ProjectionColumn<CaseSummaryRow>.Int("priority", r => (int)r.Priority),
        ProjectionColumn<CaseSummaryRow>.Int("escalation_level", r => r.EscalationLevel),
        ProjectionColumn<CaseSummaryRow>.Instant("sla_due", r => r.SlaDue),
        ProjectionColumn<CaseSummaryRow>.Instant("sla_breached_at", r => r.SlaBreachedAt),
        ProjectionColumn<CaseSummaryRow>.Double("latitude", r => r.Latitude),
        ProjectionColumn<CaseSummaryRow>.Double("longitude", r => r.Longitude),
    ];

    /// <summary>
    /// One index per queue scope (agency, team, assignee), each ending in the queue order so that a page is an index
    /// range scan that stops after the page, with no sort. The assignee index also serves "unassigned"
    /// (<c>assignee IS NULL</c>); the other filters are checked on the rows the scan visits.
    /// </summary>
    public override IReadOnlyList<string> Indexes { get; } =
    [
        "tenant_id, queued, urgency_rank, sort_due, row_key",
        "tenant_id, queued, team, urgency_rank, sort_due, row_key",
        "tenant_id, queued, assignee, urgency_rank, sort_due, row_key",
    ];

    /// <summary>
    /// A team and an agent belong to one agency: without these statistics the planner multiplies the agency's and the
    /// team's (or agent's) selectivity, underestimates a queue's rows twentyfold at twenty agencies, and may answer a
    /// page with a bitmap scan and a sort instead of reading the ordered index.
    /// </summary>
    public override IReadOnlyList<string> CorrelatedColumns { get; } = ["tenant_id, team", "tenant_id, assignee"];

    /// <summary>The stored rank of a case: smaller is more urgent (escalation level first, then priority).</summary>
    public static int? UrgencyRank(CaseSummaryRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return ((3 - row.EscalationLevel) * 4) + (3 - (int)row.Priority);
    }

    /// <inheritdoc />
    public override CaseSummaryRow? Apply(CaseSummaryRow? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        if (recorded.Data is not CaseEvent e)
        {
            return row;
        }

        var next = CaseSummaryRow.Evolve(row, e, recorded.StreamVersion, calendars.HistoryFor(recorded.Stream.Tenant));
        return next is null || next.Status.IsFinal() ? null : next;
    }
}
