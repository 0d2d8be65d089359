using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Resolving;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace EventCase.Cases.ReadModels.TransparencyStatistics;

/// <summary>
/// The per-case facts behind the transparency statistics (<c>case_facts</c>, async), plus the closed stretches of
/// time each case spent open (<c>case_open_intervals</c>), from which the backlog at any instant is counted. The
/// statistics themselves are SQL aggregates over these tables: <see cref="TransparencyStatisticsQueries"/>.
/// </summary>
/// <param name="calendars">The agencies' business calendars (business resolution time, SLA compliance).</param>
public sealed class CaseFactsProjection(IAgencyCalendars calendars) : Projection<CaseFactsRow>
{
    /// <summary>The projection's (and row table's) name.</summary>
    public const string ProjectionName = "case_facts";

    /// <summary>The entry table of open intervals.</summary>
    public const string OpenIntervalsTable = "case_open_intervals";

    /// <inheritdoc />
    public override string Name => ProjectionName;

    /// <summary>
    /// 2: a case is breached once its clock has run past the due instant, not at it; time is counted on the calendar in
    /// force while it passed. 3: the open intervals are indexed by case, which a case's rebuild reads and deletes by
    /// (decision 0022). 4: a working minute counts once on a clock-change day whose periods overlap in real time (due
    /// instants and business hours stored by 3 could count it twice). 5: the cases open now and the open stretches are
    /// indexed by when they started and ended, so that a range's statistics read only what can count in it.
    /// </summary>
    public override int Version => 5;

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes => CaseEventTypes.All;

    /// <inheritdoc />
    public override bool ReadsMetadata => false;

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<CaseFactsRow>> Columns { get; } =
    [
        ProjectionColumn<CaseFactsRow>.Text("service", r => r.Case.Service),
        ProjectionColumn<CaseFactsRow>.Text("status", r => ReadModelText.Name(r.Case.Status)),
        ProjectionColumn<CaseFactsRow>.Instant("opened_at", r => r.Case.OpenedAt),
        ProjectionColumn<CaseFactsRow>.Instant("first_resolved_at", r => r.FirstResolvedAt),
        ProjectionColumn<CaseFactsRow>.Instant("closed_at", r => r.Case.ClosedAt),
        ProjectionColumn<CaseFactsRow>.Double("calendar_resolution_hours", r => r.CalendarResolutionHours),
        ProjectionColumn<CaseFactsRow>.Double("business_resolution_hours", r => r.BusinessResolutionHours),
        ProjectionColumn<CaseFactsRow>.Bool("met_sla", r => r.MetSla),
        ProjectionColumn<CaseFactsRow>.Int("reopen_count", r => r.Case.ReopenCount),
        ProjectionColumn<CaseFactsRow>.Int("satisfaction", r => r.Satisfaction),
        ProjectionColumn<CaseFactsRow>.Instant("open_since", r => r.OpenSince),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<string> Indexes { get; } =
        ["tenant_id, service, opened_at", "tenant_id, service, first_resolved_at", "tenant_id, service, closed_at", "tenant_id, service, open_since"];

    /// <inheritdoc />
    public override IReadOnlyList<EntryTable> EntryTables { get; } =
    [
        new EntryTable<OpenInterval>(
            OpenIntervalsTable,
            [
                ProjectionColumn<OpenInterval>.Text("service", i => i.Service),
                ProjectionColumn<OpenInterval>.Instant("opened_from", i => i.From),
                ProjectionColumn<OpenInterval>.Instant("opened_until", i => i.Until),
            ],
            ["tenant_id, service, opened_from", "tenant_id, service, opened_until", "tenant_id, row_key"]),
    ];

    /// <inheritdoc />
    public override CaseFactsRow? Apply(CaseFactsRow? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(output);
        if (recorded.Data is not CaseEvent e)
        {
            return row;
        }

        var next = CaseSummaryRow.Evolve(row?.Case, e, recorded.StreamVersion, calendar: null);
        if (next is null)
        {
            return null;
        }

        if (row is null)
        {
            return new CaseFactsRow(next, null, null, null, null, null, next.OpenedAt);
        }

        var facts = row with { Case = next };
        var wasOpen = row.Case.Status.IsActive();
        var isOpen = next.Status.IsActive();
        if (wasOpen && !isOpen && row.OpenSince is { } since)
        {
            output.Emit(new OpenInterval(next.Service, since, e.At));
            facts = facts with { OpenSince = null };
        }
        else if (!wasOpen && isOpen)
        {
            facts = facts with { OpenSince = e.At };
        }

        switch (e)
        {
            case CaseResolved resolved when row.FirstResolvedAt is null:
                var calendar = calendars.HistoryFor(recorded.Stream.Tenant);
                facts = facts with
                {
                    FirstResolvedAt = resolved.At,
                    CalendarResolutionHours = (resolved.At - next.OpenedAt).TotalHours,
                    BusinessResolutionHours = calendar.BusinessTimeBetween(next.OpenedAt, resolved.At).TotalHours,
                    MetSla = next.Sla.ClockAt(calendar, resolved.At).BreachedAt is null,
                };
                break;
            case FeedbackRecorded feedback:
                facts = facts with { Satisfaction = feedback.Satisfaction };
                break;
        }

        return facts;
    }
}
