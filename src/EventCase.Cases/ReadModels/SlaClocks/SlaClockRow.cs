using EventCase.Cases.Sla;
using NodaTime;

namespace EventCase.Cases.ReadModels.SlaClocks;

/// <summary>
/// The stored SLA clock of one case: the timeline and what does not change while no event happens (the due instant
/// and whether the clock is paused). Elapsed and remaining time depend on "now" and are computed when queried
/// (<see cref="SlaClockView"/>). Immutable.
/// </summary>
/// <param name="CaseId">The case.</param>
/// <param name="CaseNumber">Its number.</param>
/// <param name="Service">Its service.</param>
/// <param name="Sla">Target, start, pauses and stop.</param>
/// <param name="Due">When the target runs out given the pauses so far; null while a pause lasts that began before it ran out.</param>
/// <param name="BreachedAt">When the target was missed, as known at the last event.</param>
/// <param name="Paused">True while a pause lasts and the clock has not stopped.</param>
public sealed record SlaClockRow(string CaseId, string CaseNumber, string Service, SlaProgress Sla, Instant? Due, Instant? BreachedAt, bool Paused);

/// <summary>An SLA clock as it stands at the query's instant.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="CaseNumber">Its number.</param>
/// <param name="Service">Its service.</param>
/// <param name="Target">The target.</param>
/// <param name="Started">When the clock started.</param>
/// <param name="Elapsed">Counted time used by the query instant (business time, or wall time for calendar-day targets).</param>
/// <param name="Remaining">Counted time left; zero once used up.</param>
/// <param name="Due">When the target runs out (the deadline: work finished at it is on time); null while a pause lasts that
/// began before it ran out.</param>
/// <param name="BreachedAt">The due instant, once the clock has run past it by the query instant.</param>
/// <param name="IsPaused">Whether the clock is paused.</param>
/// <param name="StoppedAt">When it stopped for good, if it did.</param>
/// <param name="Pauses">The paused intervals.</param>
public sealed record SlaClockView(
    string CaseId,
    string CaseNumber,
    string Service,
    SlaTarget Target,
    Instant Started,
    Duration Elapsed,
    Duration Remaining,
    Instant? Due,
    Instant? BreachedAt,
    bool IsPaused,
    Instant? StoppedAt,
    IReadOnlyList<PausedInterval> Pauses);
