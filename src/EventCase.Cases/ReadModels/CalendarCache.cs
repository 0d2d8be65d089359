using System.Collections.Concurrent;
using EventCase.Cases.Calendars;

namespace EventCase.Cases.ReadModels;

/// <summary>
/// The business calendar of each agency, kept in memory for the projections and queries that need one synchronously
/// (<see cref="IAgencyCalendars"/>); filled from the calendar streams at start-up and on every change (see
/// <see cref="Agencies.ReferenceData"/>). An agency without a calendar gets <see cref="CalendarDefinition.Default"/>.
/// Thread safe.
/// </summary>
public sealed class CalendarCache : IAgencyCalendars
{
    private static readonly BusinessCalendar DefaultCalendar = CalendarDefinition.Default.TryBuild().Calendar!;
    private readonly ConcurrentDictionary<string, BusinessCalendar> _calendars = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public BusinessCalendar For(string agency) => _calendars.TryGetValue(agency, out var calendar) ? calendar : DefaultCalendar;

    /// <summary>Sets an agency's calendar.</summary>
    public void Set(string agency, BusinessCalendar calendar) => _calendars[agency] = calendar;
}
