using System.Collections.Concurrent;
using EventCase.Cases.Calendars;

namespace EventCase.Cases.ReadModels;

/// <summary>
/// The business calendars of each agency over time, kept in memory for the projections and queries that need them
/// synchronously (<see cref="IAgencyCalendars"/>); filled from the calendar streams at start-up and on every change (see
/// <see cref="Agencies.ReferenceData"/>). An agency without a calendar gets <see cref="CalendarDefinition.Default"/>.
/// Thread safe.
/// </summary>
public sealed class CalendarCache : IAgencyCalendars
{
    private static readonly CalendarHistory DefaultHistory = CalendarHistory.Of(CalendarDefinition.Default.TryBuild().Calendar!);
    private readonly ConcurrentDictionary<string, (CalendarHistory History, long Version)> _calendars = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public BusinessCalendar For(string agency) => HistoryFor(agency).Current;

    /// <inheritdoc />
    public CalendarHistory HistoryFor(string agency) => _calendars.TryGetValue(agency, out var entry) ? entry.History : DefaultHistory;

    /// <summary>
    /// Sets an agency's calendars over time, as of <paramref name="version"/> of its calendar stream, unless the same or
    /// a newer version is cached already. True when it replaced an older version (none cached counts as version 0): the
    /// calendars changed since this cache last saw them.
    /// </summary>
    /// <param name="agency">The agency.</param>
    /// <param name="history">Its calendars over time.</param>
    /// <param name="version">The version of its calendar stream they were read at.</param>
    public bool Set(string agency, CalendarHistory history, long version)
    {
        ArgumentNullException.ThrowIfNull(history);
        while (true)
        {
            if (!_calendars.TryGetValue(agency, out var cached))
            {
                if (_calendars.TryAdd(agency, (history, version)))
                {
                    return version > 0;
                }
            }
            else if (cached.Version >= version)
            {
                return false;
            }
            else if (_calendars.TryUpdate(agency, (history, version), cached))
            {
                return true;
            }
        }
    }

    /// <summary>The version of the agency's calendar stream the cached calendars were read at; 0 when none was.</summary>
    public long VersionOf(string agency) => _calendars.TryGetValue(agency, out var entry) ? entry.Version : 0;
}
