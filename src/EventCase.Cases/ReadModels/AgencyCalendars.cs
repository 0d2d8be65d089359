using EventCase.Cases.Calendars;

namespace EventCase.Cases.ReadModels;

/// <summary>
/// Looks up an agency's business calendar. Given to the read models that need business time (case summary, work
/// queues, SLA clocks, transparency statistics) so that their projections stay pure. Implementations must be thread
/// safe and must return the same calendar for an agency for as long as the projection's version stays the same: a
/// changed calendar changes stored SLA due instants, so bump the projection version (a rebuild) when it changes.
/// </summary>
public interface IAgencyCalendars
{
    /// <summary>The business calendar of <paramref name="agency"/> (the tenant id of the case's stream).</summary>
    /// <exception cref="KeyNotFoundException">The agency has no calendar and there is no fallback.</exception>
    BusinessCalendar For(string agency);
}

/// <summary>A fixed map of agency → calendar, with an optional fallback. Immutable and thread safe.</summary>
public sealed class AgencyCalendars : IAgencyCalendars
{
    private readonly Dictionary<string, BusinessCalendar> _calendars;
    private readonly BusinessCalendar? _fallback;

    /// <summary>Creates the lookup.</summary>
    /// <param name="calendars">Agency id → calendar.</param>
    /// <param name="fallback">The calendar of agencies not in <paramref name="calendars"/>; null makes them an error.</param>
    public AgencyCalendars(IReadOnlyDictionary<string, BusinessCalendar> calendars, BusinessCalendar? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(calendars);
        _calendars = new Dictionary<string, BusinessCalendar>(calendars, StringComparer.Ordinal);
        _fallback = fallback;
    }

    /// <summary>Every agency on the same calendar.</summary>
    public static AgencyCalendars Single(BusinessCalendar calendar) => new(new Dictionary<string, BusinessCalendar>(), calendar);

    /// <inheritdoc />
    public BusinessCalendar For(string agency) =>
        _calendars.TryGetValue(agency, out var calendar) ? calendar
        : _fallback ?? throw new KeyNotFoundException($"No business calendar is configured for agency '{agency}'.");
}
