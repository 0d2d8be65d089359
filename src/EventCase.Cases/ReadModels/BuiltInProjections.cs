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
    /// The statistics store only what the calendars in force before each resolution decided, which a change leaves as
    /// it was.
    /// </summary>
    public static IReadOnlyList<string> StoringDueInstants { get; } =
        [CaseSummaryProjection.ProjectionName, WorkQueueProjection.ProjectionName, SlaClockProjection.ProjectionName];
}
