using EventCase.Cases.Calendars;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using NodaTime;

namespace EventCase.Cases.ReadModels;

/// <summary>
/// The SLA-relevant part of a case's history, kept incrementally inside read-model rows: the target snapshotted at
/// opening, the start, the pauses and the stop. Folding a case's events one by one with <see cref="Apply"/> gives the
/// same timeline as <see cref="SlaTimeline.FromHistory"/> over the whole history (a test checks it), which lets a
/// projection compute the clock without re-reading the stream. Immutable.
/// </summary>
/// <param name="Target">The SLA target.</param>
/// <param name="Started">When the case opened.</param>
/// <param name="Pauses">Pauses so far, oldest first; only the last may be open.</param>
/// <param name="StoppedAt">When the clock stopped for good (closed, cancelled, merged, transferred), if it did.</param>
public sealed record SlaProgress(SlaTarget Target, Instant Started, IReadOnlyList<PausedInterval> Pauses, Instant? StoppedAt)
{
    /// <summary>The progress right after <paramref name="opened"/>.</summary>
    public static SlaProgress Start(CaseOpened opened)
    {
        ArgumentNullException.ThrowIfNull(opened);
        return new SlaProgress(opened.Sla, opened.At, [], null);
    }

    /// <summary>Folds one later event of the case (same rules as <see cref="SlaTimeline.FromHistory"/>).</summary>
    public SlaProgress Apply(CaseEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (StoppedAt is not null)
        {
            return this;
        }

        var open = Pauses.Count > 0 && Pauses[^1].End is null ? Pauses[^1] : null;
        IReadOnlyList<PausedInterval> closed = open is null ? Pauses : [.. Pauses.Take(Pauses.Count - 1), open with { End = @event.At }];
        return @event switch
        {
            InformationRequested when open is null => this with { Pauses = [.. Pauses, new PausedInterval(@event.At, null, SlaPauseReason.AwaitingCitizen)] },
            CaseResolved => this with { Pauses = [.. closed, new PausedInterval(@event.At, null, SlaPauseReason.Resolved)] },
            InformationReceived or CaseReopened when open is not null => this with { Pauses = closed },
            CaseClosed or CaseCancelled or CaseMarkedDuplicate or CaseTransferred => this with { StoppedAt = @event.At },
            _ => this,
        };
    }

    /// <summary>The timeline, for <see cref="SlaClock.Compute(SlaTarget, CalendarHistory, SlaTimeline, Instant)"/>.</summary>
    public SlaTimeline ToTimeline() => new(Started, Pauses, StoppedAt);

    /// <summary>The clock as it stands at <paramref name="now"/> on <paramref name="calendar"/>.</summary>
    public SlaClock ClockAt(BusinessCalendar calendar, Instant now) => SlaClock.Compute(Target, calendar, ToTimeline(), now);

    /// <summary>The clock as it stands at <paramref name="now"/>, counted on the calendars in force over time.</summary>
    public SlaClock ClockAt(CalendarHistory calendars, Instant now) => SlaClock.Compute(Target, calendars, ToTimeline(), now);
}
