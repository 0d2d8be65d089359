using EventCase.Cases.Numbering;
using EventCase.Cases.ReadModels.AuditTrail;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.EventStore.Projections;

namespace EventCase.Cases.ReadModels;

/// <summary>
/// The projections EventCase ships: the case number lookup and the built-in read models. The service, the CLI and
/// embedding hosts register exactly this set, so each sees the database as the others do.
/// </summary>
public static class BuiltInProjections
{
    /// <summary>A fresh set of projection instances (case numbers, summary, work queues, SLA clocks, audit trail, case facts).</summary>
    /// <param name="calendars">The agencies' business calendars, for the read models that count business time.</param>
    public static IReadOnlyList<Projection> Create(IAgencyCalendars calendars) =>
    [
        new CaseNumberLookupProjection(),
        new CaseSummaryProjection(calendars),
        new WorkQueueProjection(calendars),
        new SlaClockProjection(calendars),
        new AuditTrailProjection(),
        new CaseFactsProjection(calendars),
    ];

    /// <summary>
    /// The built-in projections that store SLA due instants (case summary, work queues, SLA clocks): a calendar change
    /// moves the due instants of open cases, so they are rebuilt when one is seen (<see cref="Agencies.ReferenceData"/>).
    /// The statistics store only what the calendars in force before each resolution decided, which a later change
    /// leaves as it was (see <see cref="CountingOnTheFirstCalendar"/> for the first).
    /// </summary>
    public static IReadOnlyList<string> StoringDueInstants { get; } =
        [CaseSummaryProjection.ProjectionName, WorkQueueProjection.ProjectionName, SlaClockProjection.ProjectionName];

    /// <summary>
    /// The built-in projections that store business time already counted (the statistics' business resolution times
    /// and SLA compliance): an agency's first calendar replaces the stand-in from the beginning, so what they counted on
    /// the stand-in is counted again on it, as a rebuild from the log would; they are rebuilt, besides
    /// <see cref="StoringDueInstants"/>, when a node first sees the calendar of an agency that has cases.
    /// </summary>
    public static IReadOnlyList<string> CountingOnTheFirstCalendar { get; } = [CaseFactsProjection.ProjectionName];
}
