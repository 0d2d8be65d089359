using System.Globalization;
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

    /// <summary>Builds the calendar, or returns what is wrong with the definition (the first of <see cref="FindProblems"/>).</summary>
    public (BusinessCalendar? Calendar, string? Problem) TryBuild()
    {
        var (calendar, problems) = Build();
        return (calendar, problems.Count == 0 ? null : problems[0].Message);
    }

    /// <summary>
    /// What is wrong with the definition, each problem with the camelCase path of the member it is about
    /// (<c>zone</c>, <c>hours[2]</c>, <c>hours[2].day</c>, or <c>hours</c> for what only the whole week shows, such as
    /// overlapping periods); empty when the definition makes a calendar. Never throws, whatever a deserializer left in
    /// the definition (null lists or entries, a day that is not a weekday).
    /// </summary>
    public IReadOnlyList<CalendarProblem> FindProblems() => Build().Problems;

    private (BusinessCalendar? Calendar, IReadOnlyList<CalendarProblem> Problems) Build()
    {
        var problems = new List<CalendarProblem>();
        var zone = Zone is null ? null : DateTimeZoneProviders.Tzdb.GetZoneOrNull(Zone);
        if (zone is null)
        {
            problems.Add(new("zone", $"'{Zone}' is not a known IANA time zone id"));
        }

        // JSON and configuration binding fill in what the record's types rule out, so each period is checked here, where
        // its index is known, before the calendar sees the week.
        var hours = Hours ?? [];
        for (var i = 0; i < hours.Count; i++)
        {
            var field = string.Create(CultureInfo.InvariantCulture, $"hours[{i}]");
            if (hours[i] is not { } h)
            {
                problems.Add(new(field, "A working period needs a day, a start and an end; null is not one."));
            }
            else if (h.Day is < IsoDayOfWeek.Monday or > IsoDayOfWeek.Sunday)
            {
                problems.Add(new(field + ".day", $"'{h.Day}' is not a day of the week (monday to sunday)."));
            }
            else if (new WorkingPeriod(h.Start, h.End).ProblemOn(h.Day) is { } problem)
            {
                problems.Add(new(field, problem));
            }
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        try
        {
            var weeklyHours = hours.GroupBy(h => h.Day)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<WorkingPeriod>)[.. g.Select(h => new WorkingPeriod(h.Start, h.End))]);
            return (new BusinessCalendar(zone!, weeklyHours, Holidays ?? []), problems);
        }
        catch (ArgumentException e)
        {
            // Overlapping periods, or no working time in the week. The message is for people: without the parameter name.
            var message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
            problems.Add(new("hours", message));
            return (null, problems);
        }
    }
}

/// <summary>One thing wrong with a <see cref="CalendarDefinition"/>.</summary>
/// <param name="Field">The camelCase path of the member it is about, e.g. <c>hours[2].day</c>.</param>
/// <param name="Message">What is wrong, as a sentence.</param>
public sealed record CalendarProblem(string Field, string Message);

/// <summary>An agency's business calendar was set (replacing the previous one).</summary>
/// <param name="Agency">The agency.</param>
/// <param name="Calendar">The calendar.</param>
/// <param name="At">When.</param>
[EventType("calendar.set.v1")]
public sealed record CalendarSet(AgencyId Agency, CalendarDefinition Calendar, Instant At);
