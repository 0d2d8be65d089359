using NodaTime;

namespace EventCase.Cases.Calendars;

/// <summary>
/// The business calendars an agency has had, each in force from the instant it was set until the next one was: the
/// calendar SLA clocks count on. Time is counted on the calendar in force while it passes, so a calendar change (a new
/// holiday, new opening hours) changes the due instants of open cases from the change on, and never the business time
/// that had already passed, nor whether a case was breached before the change. Instances are immutable and thread safe.
/// </summary>
public sealed class CalendarHistory
{
    // _from[0] is Instant.MinValue: the first calendar is in force from the beginning of time.
    private readonly Instant[] _from;
    private readonly BusinessCalendar[] _calendars;

    private CalendarHistory(Instant[] from, BusinessCalendar[] calendars)
    {
        _from = from;
        _calendars = calendars;
    }

    /// <summary>A history of one calendar, in force at every instant.</summary>
    /// <param name="calendar">The calendar.</param>
    public static CalendarHistory Of(BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return new([Instant.MinValue], [calendar]);
    }

    /// <summary>
    /// This history with <paramref name="calendar"/> in force from <paramref name="from"/> on. A change dated before
    /// the last one (clocks of different nodes disagree) takes effect at the last one's instant: a later change never
    /// reaches back past an earlier one.
    /// </summary>
    /// <param name="from">When the calendar was set.</param>
    /// <param name="calendar">The calendar.</param>
    public CalendarHistory Then(Instant from, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (from <= _from[^1])
        {
            from = _from[^1];
        }

        return from == _from[^1]
            ? new([.. _from], [.. _calendars[..^1], calendar])
            : new([.. _from, from], [.. _calendars, calendar]);
    }

    /// <summary>The calendar in force now: the last one set.</summary>
    public BusinessCalendar Current => _calendars[^1];

    /// <summary>The changes, oldest first, each with the instant from which it is in force (the first from <see cref="Instant.MinValue"/>).</summary>
    public IReadOnlyList<(Instant From, BusinessCalendar Calendar)> Changes => [.. _from.Zip(_calendars)];

    /// <summary>The calendar in force at <paramref name="instant"/>.</summary>
    public BusinessCalendar At(Instant instant) => _calendars[IndexAt(instant)];

    /// <summary>
    /// The history as it was known at <paramref name="instant"/>: the changes made after it left out. A clock computed
    /// on it is the clock as it stood then, due instant included (which then assumed the calendar in force would stay).
    /// </summary>
    public CalendarHistory AsOf(Instant instant)
    {
        var index = IndexAt(instant);
        return index == _from.Length - 1 ? this : new(_from[..(index + 1)], _calendars[..(index + 1)]);
    }

    /// <summary>The business time between two instants, each stretch counted on the calendar in force during it.</summary>
    public Duration BusinessTimeBetween(Instant from, Instant to)
    {
        if (_from.Length == 1)
        {
            return _calendars[0].BusinessTimeBetween(from, to);
        }

        // The first stretch starts at from (its calendar was set at or before it), each later one when its calendar was set.
        var first = IndexAt(from);
        var total = Duration.Zero;
        for (var i = first; i < _from.Length && (i == first || _from[i] < to); i++)
        {
            var start = i == first ? from : _from[i];
            var end = i + 1 < _from.Length && _from[i + 1] < to ? _from[i + 1] : to;
            total += _calendars[i].BusinessTimeBetween(start, end);
        }

        return total;
    }

    /// <summary>
    /// When <paramref name="amount"/> of business time, counted from <paramref name="start"/> on the calendars in force,
    /// has passed (the first such instant; see <see cref="BusinessCalendar.AddBusinessTime"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The amount is negative, or runs out after the last date a calendar can count.</exception>
    public Instant AddBusinessTime(Instant start, Duration amount)
    {
        var i = IndexAt(start);
        var cursor = start;
        var remaining = amount;
        for (; i + 1 < _from.Length; i++)
        {
            var available = _calendars[i].BusinessTimeBetween(cursor, _from[i + 1]);
            if (available >= remaining)
            {
                return _calendars[i].AddBusinessTime(cursor, remaining);
            }

            remaining -= available;
            cursor = _from[i + 1];
        }

        return _calendars[i].AddBusinessTime(cursor, remaining);
    }

    private int IndexAt(Instant instant)
    {
        if (_from.Length == 1)
        {
            return 0;
        }

        var index = Array.BinarySearch(_from, instant);
        return index >= 0 ? index : ~index - 1;
    }
}
