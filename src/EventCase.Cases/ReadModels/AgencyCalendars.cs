using EventCase.Cases.Calendars;

namespace EventCase.Cases.ReadModels;

/// <summary>
/// Looks up an agency's business calendars. Given to the read models that need business time (case summary, work
/// queues, SLA clocks, transparency statistics) so that their projections stay pure. Implementations must be thread
/// safe. SLA clocks count each stretch of time on the calendar in force while it passed (<see cref="HistoryFor"/>), so
/// a calendar change leaves the past as it was; it does move the stored due instants of open cases, which the
/// projections that store them get by a rebuild (<see cref="BuiltInProjections.StoringDueInstants"/>):
/// <see cref="Agencies.ReferenceData"/> requests it when it sees a calendar change, and a fixed lookup such as
/// <see cref="AgencyCalendars"/> needs the projections' version bumped when its calendars change.
/// </summary>
public interface IAgencyCalendars
{
    /// <summary>The business calendar of <paramref name="agency"/> (the tenant id of the case's stream) in force now.</summary>
    /// <exception cref="KeyNotFoundException">The agency has no calendar and there is no fallback.</exception>
    BusinessCalendar For(string agency);

    /// <summary>
    /// The business calendars of <paramref name="agency"/> over time, each in force from when it was set. By default
    /// <see cref="For"/>'s calendar, in force at every instant.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The agency has no calendar and there is no fallback.</exception>
    CalendarHistory HistoryFor(string agency) => CalendarHistory.Of(For(agency));
}

/// <summary>A fixed map of agency → calendar, with an optional fallback. Immutable and thread safe.</summary>
public sealed class AgencyCalendars : IAgencyCalendars
{
    private readonly Dictionary<string, BusinessCalendar> _calendars;
    private readonly Dictionary<string, CalendarHistory> _histories;
    private readonly BusinessCalendar? _fallback;
    private readonly CalendarHistory? _fallbackHistory;

    /// <summary>Creates the lookup.</summary>
    /// <param name="calendars">Agency id → calendar.</param>
    /// <param name="fallback">The calendar of agencies not in <paramref name="calendars"/>; null makes them an error.</param>
    public AgencyCalendars(IReadOnlyDictionary<string, BusinessCalendar> calendars, BusinessCalendar? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(calendars);
        _calendars = new Dictionary<string, BusinessCalendar>(calendars, StringComparer.Ordinal);
        // Built once: projections ask for every event they fold.
        _histories = _calendars.ToDictionary(c => c.Key, c => CalendarHistory.Of(c.Value), StringComparer.Ordinal);
        _fallback = fallback;
        _fallbackHistory = fallback is null ? null : CalendarHistory.Of(fallback);
    }

    /// <summary>Every agency on the same calendar.</summary>
    public static AgencyCalendars Single(BusinessCalendar calendar) => new(new Dictionary<string, BusinessCalendar>(), calendar);

    /// <inheritdoc />
    public BusinessCalendar For(string agency) =>
        _calendars.TryGetValue(agency, out var calendar) ? calendar
        : _fallback ?? throw new KeyNotFoundException($"No business calendar is configured for agency '{agency}'.");

    /// <inheritdoc />
    public CalendarHistory HistoryFor(string agency) =>
        _histories.TryGetValue(agency, out var history) ? history
        : _fallbackHistory ?? throw new KeyNotFoundException($"No business calendar is configured for agency '{agency}'.");
}
