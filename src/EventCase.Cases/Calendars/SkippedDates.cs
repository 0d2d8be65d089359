using NodaTime;

namespace EventCase.Cases.Calendars;

/// <summary>
/// Dates a time zone skipped whole, as Apia did on 30 December 2011 crossing the date line: they have no instant, and
/// NodaTime's <c>AtStartOfDay</c> throws for them. Business time counts none on them and statistics show them empty.
/// </summary>
internal static class SkippedDates
{
    /// <summary>Whether <paramref name="zone"/> skipped <paramref name="date"/> whole: its first and last local instants both fall in a gap.</summary>
    public static bool IsSkippedWhole(DateTimeZone zone, LocalDate date) =>
        zone.MapLocal(date.AtMidnight()).Count == 0
        && zone.MapLocal(date.PlusDays(1).AtMidnight().PlusNanoseconds(-1)).Count == 0;

    /// <summary>The first instant of <paramref name="date"/>; for a date skipped whole, where the next date starts.</summary>
    public static Instant StartOf(DateTimeZone zone, LocalDate date) =>
        IsSkippedWhole(zone, date) ? StartOf(zone, date.PlusDays(1)) : zone.AtStartOfDay(date).ToInstant();
}
