using EventCase.Cases.Calendars;
using NodaTime;

namespace EventCase.Cases.Sla;

/// <summary>
/// The SLA clock of a case at one instant: its target, how much of it has been used, what is left, when it is (or
/// was) due and when it was breached. Computed on the agency's <see cref="BusinessCalendar"/> with the case's pauses
/// taken out. Immutable.
/// </summary>
/// <param name="Target">The target.</param>
/// <param name="Started">When the clock started (the case opened).</param>
/// <param name="Elapsed">Counted time used so far (business time, or wall time for calendar-day targets), pauses excluded.</param>
/// <param name="Remaining">Counted time left before the target is missed; zero once used up.</param>
/// <param name="Due">When the target runs out, given the pauses so far: the deadline, met by work finished at it. Null
/// while a pause lasts that began before the target ran out, or exactly as it did (nobody knows when the citizen will
/// answer); also null, for good, when the target runs out after 9999 (an imported "never", years on a calendar of
/// minutes a week).</param>
/// <param name="BreachedAt">The due instant, once the clock has run past it by the evaluation instant (not at the due
/// instant itself).</param>
/// <param name="IsPaused">True while a pause lasts (and the clock has not stopped).</param>
/// <param name="StoppedAt">When the clock stopped for good, if it did.</param>
/// <param name="Pauses">The pauses taken into account.</param>
public sealed record SlaClock(
    SlaTarget Target,
    Instant Started,
    Duration Elapsed,
    Duration Remaining,
    Instant? Due,
    Instant? BreachedAt,
    bool IsPaused,
    Instant? StoppedAt,
    IReadOnlyList<PausedInterval> Pauses)
{
    /// <summary>True when the target was missed.</summary>
    public bool IsBreached => BreachedAt is not null;

    /// <summary>Computes the clock of a case as it stands at <paramref name="now"/>, on one calendar in force throughout.</summary>
    /// <param name="target">The case's SLA target.</param>
    /// <param name="calendar">The agency's business calendar (for calendar-day targets only its time zone matters).</param>
    /// <param name="timeline">The case's start, pauses and stop (see <see cref="SlaTimeline.FromHistory"/>).</param>
    /// <param name="now">The evaluation instant; the clock counts nothing after it (nor after the stop).</param>
    public static SlaClock Compute(SlaTarget target, BusinessCalendar calendar, SlaTimeline timeline, Instant now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return Compute(target, CalendarHistory.Of(calendar), timeline, now);
    }

    /// <summary>
    /// Computes the clock of a case as it stands at <paramref name="now"/>, each stretch of time counted on the calendar
    /// in force while it passed (see <see cref="CalendarHistory"/>). A calendar-day target is counted in the time zone
    /// of the calendar in force when the case opened.
    /// </summary>
    /// <param name="target">The case's SLA target.</param>
    /// <param name="calendars">The agency's business calendars over time.</param>
    /// <param name="timeline">The case's start, pauses and stop (see <see cref="SlaTimeline.FromHistory"/>).</param>
    /// <param name="now">The evaluation instant; the clock counts nothing after it (nor after the stop).</param>
    public static SlaClock Compute(SlaTarget target, CalendarHistory calendars, SlaTimeline timeline, Instant now)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(calendars);
        ArgumentNullException.ThrowIfNull(timeline);
        var end = timeline.StoppedAt is { } stop && stop < now ? stop : now;
        if (end < timeline.Started)
        {
            end = timeline.Started;
        }

        var scale = ScaleFor(target, calendars);
        var allowed = AllowedTime(target, calendars.At(timeline.Started), timeline.Started);
        var pauses = Normalize(timeline.Pauses, timeline.Started, end);
        var elapsed = Counted(scale, timeline.Started, end, pauses);
        var due = Advance(scale, timeline.Started, allowed, Normalize(timeline.Pauses, timeline.Started, null));
        // The due instant is a deadline: work finished at it is on time, and the clock is breached once it has run past
        // it. Advance never puts the due instant at the start of a pause, so a clock that is past its due instant ran
        // past it.
        var breachedAt = due is { } d && d < end ? d : (Instant?)null;
        var remaining = elapsed >= allowed ? Duration.Zero : allowed - elapsed;
        var isPaused = timeline.StoppedAt is null && IsPausedAt(timeline.Pauses, now);
        return new SlaClock(target, timeline.Started, elapsed, remaining, due, breachedAt, isPaused, timeline.StoppedAt, timeline.Pauses);
    }

    /// <summary>
    /// Business time between <paramref name="from"/> and <paramref name="to"/> with the paused intervals taken out
    /// (an open pause runs to <paramref name="to"/>).
    /// </summary>
    public static Duration BusinessTimeElapsed(BusinessCalendar calendar, Instant from, Instant to, IReadOnlyList<PausedInterval> pauses)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(pauses);
        return to <= from ? Duration.Zero : Counted(new Scale(CalendarHistory.Of(calendar)), from, to, Normalize(pauses, from, to));
    }

    /// <summary>
    /// When <paramref name="businessTime"/> counted from <paramref name="start"/> runs out, skipping the paused
    /// intervals; null if an open pause begins before it runs out.
    /// </summary>
    public static Instant? DueInstant(BusinessCalendar calendar, Instant start, Duration businessTime, IReadOnlyList<PausedInterval> pauses)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(pauses);
        return Advance(new Scale(CalendarHistory.Of(calendar)), start, businessTime, Normalize(pauses, start, null));
    }

    /// <summary>
    /// How time is counted: business time on a calendar, or wall time (calendar-day targets). A struct, not delegates:
    /// a clock is computed for every event a read model folds.
    /// </summary>
    private readonly struct Scale(CalendarHistory? businessHours)
    {
        public Duration Between(Instant from, Instant to) =>
            businessHours is { } calendars ? calendars.BusinessTimeBetween(from, to) : to > from ? to - from : Duration.Zero;

        /// <summary>The instant <paramref name="amount"/> after <paramref name="from"/>; null when it is after the end of 9999.</summary>
        public Instant? Add(Instant from, Duration amount)
        {
            try
            {
                return businessHours is { } calendars ? calendars.AddBusinessTime(from, amount) : from + amount;
            }
            catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
            {
                return null;
            }
        }
    }

    private static Scale ScaleFor(SlaTarget target, CalendarHistory calendars) =>
        new(target.Kind == SlaTargetKind.BusinessHours ? calendars : null);

    private static bool IsPausedAt(IReadOnlyList<PausedInterval> pauses, Instant now)
    {
        for (var i = 0; i < pauses.Count; i++)
        {
            if (pauses[i].Start <= now && (pauses[i].End is null || pauses[i].End > now))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The counted time the target allows: the business time, or the wall time until the same local time N days later.</summary>
    private static Duration AllowedTime(SlaTarget target, BusinessCalendar calendar, Instant started)
    {
        if (target.Kind == SlaTargetKind.BusinessHours)
        {
            return target.Amount;
        }

        try
        {
            var local = started.InZone(calendar.Zone).LocalDateTime.PlusDays(target.Days);
            return calendar.Zone.AtLeniently(local).ToInstant() - started;
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            // Due after the end of 9999: as good as never (no due instant, see Advance).
            return Duration.MaxValue;
        }
    }

    /// <summary>Pauses clipped to [from, to) (an open pause ends at <paramref name="to"/>, or never), sorted and merged.</summary>
    private static List<(Instant Start, Instant? End)> Normalize(IReadOnlyList<PausedInterval> pauses, Instant from, Instant? to)
    {
        var result = new List<(Instant Start, Instant? End)>(pauses.Count);
        var ordered = IsSorted(pauses) ? pauses : [.. pauses.OrderBy(p => p.Start)];
        for (var i = 0; i < ordered.Count; i++)
        {
            var pause = ordered[i];
            var start = pause.Start < from ? from : pause.Start;
            var end = pause.End ?? to;
            if (to is { } t)
            {
                if (start >= t)
                {
                    continue;
                }

                if (end is null || end > t)
                {
                    end = t;
                }
            }

            if (end is { } e && e <= start)
            {
                continue;
            }

            if (result.Count > 0 && (result[^1].End is null || result[^1].End >= start))
            {
                var last = result[^1];
                result[^1] = (last.Start, last.End is null || end is null ? null : Max(last.End.Value, end.Value));
            }
            else
            {
                result.Add((start, end));
            }
        }

        return result;
    }

    // Pauses are recorded in order, so sorting them is almost never needed.
    private static bool IsSorted(IReadOnlyList<PausedInterval> pauses)
    {
        for (var i = 1; i < pauses.Count; i++)
        {
            if (pauses[i].Start < pauses[i - 1].Start)
            {
                return false;
            }
        }

        return true;
    }

    private static Duration Counted(Scale scale, Instant from, Instant to, List<(Instant Start, Instant? End)> pauses)
    {
        var total = Duration.Zero;
        var cursor = from;
        foreach (var (start, end) in pauses)
        {
            total += scale.Between(cursor, start);
            cursor = end ?? to;
        }

        return total + scale.Between(cursor, to);
    }

    /// <summary>
    /// The first instant at which <paramref name="amount"/> has been counted from <paramref name="start"/>, skipping
    /// the pauses; null when it runs out during an open pause or exactly as one begins. A target used up exactly as a
    /// pause begins (resolved, or the citizen asked, on the deadline) was met so far: the due instant is when the clock
    /// next runs, with nothing left, and stays unknown while the pause lasts.
    /// </summary>
    private static Instant? Advance(Scale scale, Instant start, Duration amount, List<(Instant Start, Instant? End)> pauses)
    {
        var cursor = start;
        var remaining = amount;
        foreach (var (pauseStart, pauseEnd) in pauses)
        {
            var available = scale.Between(cursor, pauseStart);
            if (available >= remaining)
            {
                // The earliest such instant: at closing time for a target used up at closing, even when the pause
                // begins later that evening (the deadline passed before the pause).
                if (scale.Add(cursor, remaining) is not { } due)
                {
                    return null;
                }

                if (due < pauseStart)
                {
                    return due;
                }
            }

            remaining -= available;
            if (pauseEnd is not { } resumed)
            {
                return null;
            }

            cursor = resumed;
        }

        return scale.Add(cursor, remaining);
    }

    private static Instant Max(Instant a, Instant b) => a > b ? a : b;
}
