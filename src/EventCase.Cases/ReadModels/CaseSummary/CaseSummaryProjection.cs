using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace EventCase.Cases.ReadModels.CaseSummary;

/// <summary>
/// The case summary read model (<c>case_summary</c>): one row per case, applied inline, in the append's transaction,
/// so whoever just changed a case reads the change at once. Query it with <see cref="CaseSummaryQueries"/>.
/// </summary>
/// <param name="calendars">The agencies' business calendars, for the SLA due instant.</param>
public sealed class CaseSummaryProjection(IAgencyCalendars calendars) : Projection<CaseSummaryRow>
{
    /// <summary>The projection's (and table's) name.</summary>
    public const string ProjectionName = "case_summary";

    /// <inheritdoc />
    public override string Name => ProjectionName;

    /// <summary>
    /// 2: a case is breached once its clock has run past the due instant, not at it; time is counted on the calendar in
    /// force while it passed. 3: rows name the case on the other side of a transfer (decision 0020). 4: a working minute
    /// counts once on a clock-change day whose periods overlap in real time (due instants and business hours stored by 3
    /// could count it twice).
    /// </summary>
    public override int Version => 4;

    /// <inheritdoc />
    public override ProjectionMode Mode => ProjectionMode.Inline;

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes => CaseEventTypes.All;

    /// <inheritdoc />
    public override bool ReadsMetadata => false;

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<CaseSummaryRow>> Columns { get; } =
    [
        ProjectionColumn<CaseSummaryRow>.Text("case_number", r => r.CaseNumber),
        ProjectionColumn<CaseSummaryRow>.Text("status", r => ReadModelText.Name(r.Status)),
        ProjectionColumn<CaseSummaryRow>.Text("service", r => r.Service),
        ProjectionColumn<CaseSummaryRow>.Int("priority", r => (int)r.Priority),
        ProjectionColumn<CaseSummaryRow>.Int("escalation_level", r => r.EscalationLevel),
        ProjectionColumn<CaseSummaryRow>.Text("team", r => r.Team),
        ProjectionColumn<CaseSummaryRow>.Text("assignee", r => r.Assignee),
        ProjectionColumn<CaseSummaryRow>.Text("citizen_reference", r => r.CitizenReference),
        ProjectionColumn<CaseSummaryRow>.Double("latitude", r => r.Latitude),
        ProjectionColumn<CaseSummaryRow>.Double("longitude", r => r.Longitude),
        ProjectionColumn<CaseSummaryRow>.Instant("opened_at", r => r.OpenedAt),
        ProjectionColumn<CaseSummaryRow>.Instant("updated_at", r => r.UpdatedAt),
        ProjectionColumn<CaseSummaryRow>.Instant("resolved_at", r => r.ResolvedAt),
        ProjectionColumn<CaseSummaryRow>.Instant("closed_at", r => r.ClosedAt),
        ProjectionColumn<CaseSummaryRow>.Instant("sla_due", r => r.SlaDue),
        ProjectionColumn<CaseSummaryRow>.Instant("sla_breached_at", r => r.SlaBreachedAt),
        ProjectionColumn<CaseSummaryRow>.Instant("sla_stopped_at", r => r.Sla.StoppedAt),
    ];

    /// <summary>Lookup by case number; the list ordered newest first (keyset on opened_at, case id).</summary>
    public override IReadOnlyList<string> Indexes { get; } =
    [
        "tenant_id, case_number",
        "tenant_id, opened_at, row_key",
    ];

    /// <inheritdoc />
    public override CaseSummaryRow? Apply(CaseSummaryRow? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return recorded.Data is CaseEvent e
            ? CaseSummaryRow.Evolve(row, e, recorded.StreamVersion, calendars.HistoryFor(recorded.Stream.Tenant))
            : row;
    }
}
