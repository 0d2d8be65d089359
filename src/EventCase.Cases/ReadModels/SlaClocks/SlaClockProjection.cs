using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace EventCase.Cases.ReadModels.SlaClocks;

/// <summary>
/// The SLA clocks read model (<c>sla_clocks</c>, async): per case the target, pauses, due instant and breach, computed
/// on the agency's business calendar. Query it with <see cref="SlaClockQueries"/>.
/// </summary>
/// <param name="calendars">The agencies' business calendars.</param>
public sealed class SlaClockProjection(IAgencyCalendars calendars) : Projection<SlaClockRow>
{
    /// <summary>The projection's (and table's) name.</summary>
    public const string ProjectionName = "sla_clocks";

    /// <inheritdoc />
    public override string Name => ProjectionName;

    /// <summary>
    /// 2: a case is breached once its clock has run past the due instant, not at it; time is counted on the calendar in
    /// force while it passed. 3: a working minute counts once on a clock-change day whose periods overlap in real time (due
    /// instants and business hours stored by 2 could count it twice).
    /// </summary>
    public override int Version => 3;

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes => CaseEventTypes.All;

    /// <inheritdoc />
    public override bool ReadsMetadata => false;

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<SlaClockRow>> Columns { get; } =
    [
        ProjectionColumn<SlaClockRow>.Text("case_number", r => r.CaseNumber),
        ProjectionColumn<SlaClockRow>.Text("service", r => r.Service),
        ProjectionColumn<SlaClockRow>.Instant("sla_due", r => r.Due),
        ProjectionColumn<SlaClockRow>.Instant("breached_at", r => r.BreachedAt),
        ProjectionColumn<SlaClockRow>.Bool("paused", r => r.Paused),
        ProjectionColumn<SlaClockRow>.Instant("stopped_at", r => r.Sla.StoppedAt),
    ];

    /// <summary>"Breaching in the next N hours" is a range on the due instant.</summary>
    public override IReadOnlyList<string> Indexes { get; } = ["tenant_id, sla_due"];

    /// <inheritdoc />
    public override SlaClockRow? Apply(SlaClockRow? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        if (recorded.Data is not CaseEvent e)
        {
            return row;
        }

        SlaProgress progress;
        if (row is null)
        {
            if (e is not CaseOpened opened)
            {
                return null;
            }

            progress = SlaProgress.Start(opened);
            row = new SlaClockRow(opened.CaseId.Value, opened.Number.Value, opened.Service.Value, progress, null, null, false);
        }
        else
        {
            progress = row.Sla.Apply(e);
        }

        var clock = progress.ClockAt(calendars.HistoryFor(recorded.Stream.Tenant), e.At);
        return row with { Sla = progress, Due = clock.Due, BreachedAt = clock.BreachedAt, Paused = clock.IsPaused };
    }
}
