using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Calendars;

/// <summary>One working period of a weekday in an agency's calendar.</summary>
/// <param name="Day">The weekday.</param>
/// <param name="Start">Local start time.</param>
/// <param name="End">Local end time, after the start.</param>
public sealed record CalendarHours(IsoDayOfWeek Day, LocalTime Start, LocalTime End);

/// <summary>An agency's business calendar as configured: its IANA zone, weekly hours and holidays.</summary>
/// <param name="Zone">The IANA time zone id, e.g. <c>America/New_York</c>.</param>
/// <param name="Hours">The working periods of the week.</param>
/// <param name="Holidays">Dates without working time.</param>
public sealed record CalendarDefinition(string Zone, IReadOnlyList<CalendarHours> Hours, IReadOnlyList<LocalDate> Holidays)
{
    /// <summary>UTC, weekdays 08:00–17:00: what an agency without a calendar gets.</summary>
    public static CalendarDefinition Default { get; } = new(
        "Etc/UTC",
        [.. Enumerable.Range(1, 5).Select(d => new CalendarHours((IsoDayOfWeek)d, new LocalTime(8, 0), new LocalTime(17, 0)))],
        []);

    /// <summary>Builds the calendar, or returns what is wrong with the definition.</summary>
    public (BusinessCalendar? Calendar, string? Problem) TryBuild()
    {
        var zone = Zone is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(Zone);
        if (zone is null)
        {
            return (null, $"'{Zone}' is not a known IANA time zone id");
        }

        try
        {
            var hours = (Hours ?? []).GroupBy(h => h.Day)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<WorkingPeriod>)[.. g.Select(h => new WorkingPeriod(h.Start, h.End))]);
            return (new BusinessCalendar(zone, hours, Holidays ?? []), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }
}

/// <summary>An agency's business calendar was set (replacing the previous one).</summary>
/// <param name="Agency">The agency.</param>
/// <param name="Calendar">The calendar.</param>
/// <param name="At">When.</param>
[EventType("calendar.set.v1")]
public sealed record CalendarSet(AgencyId Agency, CalendarDefinition Calendar, Instant At);
