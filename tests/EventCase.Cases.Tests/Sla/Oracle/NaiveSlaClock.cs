using NodaTime;

namespace EventCase.Cases.Tests.Sla.Oracle;

/// <summary>What the oracle says a clock shows at one instant.</summary>
internal sealed record OracleReading(Duration Elapsed, Duration Remaining, Instant? Due, Instant? BreachedAt, bool IsPaused);

/// <summary>
/// A case's SLA clock computed the slow way: minute by minute from the opening, each minute counted when the clock
/// runs (no pause covers it) and it is working time on the calendar in force during it (every minute, for a
/// calendar-day target). Semantics, from case-lifecycle.md: the due instant is the first instant at which the target
/// is used up while the clock runs — when that instant is the start of a pause, the end of the pause (unknown while it
/// lasts); breached once the clock has run past the due instant (the evaluation instant, or the stop, is after it);
/// a calendar-day target allows the real time until the same local time N days later in the zone in force at the
/// opening. The due instant looks past the stop (what the clock would have said), as the product documents.
/// </summary>
internal sealed class NaiveSlaClock
{
    private static readonly Duration Minute = Duration.FromMinutes(1);
    private static readonly Duration Horizon = Duration.FromDays(3 * 366);
    private readonly NaiveCalendarHistory _calendars;
    private readonly bool _businessHours;
    private readonly Instant _started;
    private readonly IReadOnlyList<(Instant Start, Instant? End)> _pauses;
    private readonly Instant? _stopped;
    private readonly int _allowedMinutes;

    // _counted[i]: minutes counted in [started, started + i minutes).
    private readonly List<int> _counted = [0];

    private NaiveSlaClock(NaiveCalendarHistory calendars, bool businessHours, int allowedMinutes, Instant started, IReadOnlyList<(Instant, Instant?)> pauses, Instant? stopped)
    {
        _calendars = calendars;
        _businessHours = businessHours;
        _allowedMinutes = allowedMinutes;
        _started = started;
        _pauses = pauses;
        _stopped = stopped;
        Due = FindDue();
    }

    /// <summary>A clock with a target of <paramref name="minutes"/> business minutes.</summary>
    public static NaiveSlaClock BusinessMinutes(NaiveCalendarHistory calendars, int minutes, Instant started, IReadOnlyList<(Instant, Instant?)> pauses, Instant? stopped) =>
        new(calendars, true, minutes, started, pauses, stopped);

    /// <summary>A clock with a target of <paramref name="days"/> calendar days.</summary>
    public static NaiveSlaClock CalendarDays(NaiveCalendarHistory calendars, int days, Instant started, IReadOnlyList<(Instant, Instant?)> pauses, Instant? stopped)
    {
        var calendar = calendars.At(started);
        var then = calendar.Opening(started.InZone(calendar.Zone).LocalDateTime.PlusDays(days));
        return new(calendars, false, checked((int)(then - started).TotalMinutes), started, pauses, stopped);
    }

    public Instant? Due { get; }

    public Duration Allowed => Duration.FromMinutes(_allowedMinutes);

    public OracleReading At(Instant now)
    {
        var end = _stopped is { } stop && stop < now ? stop : now;
        if (end < _started)
        {
            end = _started;
        }

        var elapsed = CountedBefore(end);
        return new OracleReading(
            Duration.FromMinutes(elapsed),
            Duration.FromMinutes(Math.Max(0, _allowedMinutes - elapsed)),
            Due,
            Due is { } due && due < end ? due : null,
            _stopped is null && _pauses.Any(p => p.Start <= now && (p.End is null || now < p.End)));
    }

    private bool Paused(Instant t) => _pauses.Any(p => p.Start <= t && (p.End is null || t < p.End));

    private bool Counts(Instant t) => !Paused(t) && (!_businessHours || _calendars.At(t).IsWorkingMinute(t));

    private int CountedBefore(Instant end)
    {
        var minutes = checked((int)(end - _started).TotalMinutes);
        while (_counted.Count <= minutes)
        {
            var t = _started + (Minute * (_counted.Count - 1));
            _counted.Add(_counted[^1] + (Counts(t) ? 1 : 0));
        }

        return _counted[minutes];
    }

    private Instant? FindDue()
    {
        var openPause = _pauses.Where(p => p.End is null).Select(p => (Instant?)p.Start).Min();
        var t = _started;
        while (CountedBefore(t) < _allowedMinutes)
        {
            if (openPause is { } since && t >= since)
            {
                return null; // the clock never runs again
            }

            t += Minute;
            if (t - _started > Horizon)
            {
                throw new InvalidOperationException("The oracle's targets are due within three years.");
            }
        }

        // Used up at t. If the clock is not running at t (a pause begins there), it is due when it next runs.
        while (Paused(t))
        {
            var pause = _pauses.First(p => p.Start <= t && (p.End is null || t < p.End));
            if (pause.End is not { } resumed)
            {
                return null;
            }

            t = resumed;
        }

        return t;
    }
}
