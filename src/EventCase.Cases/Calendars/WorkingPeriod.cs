using NodaTime;

namespace EventCase.Cases.Calendars;

/// <summary>
/// One stretch of working time within a day, in the agency's local time: <c>08:00–12:00</c>. An <see cref="End"/> of
/// midnight means the end of the day (24:00), so <c>00:00–00:00</c> is the whole day.
/// </summary>
/// <param name="Start">When work starts, local time.</param>
/// <param name="End">When work stops, local time (exclusive); midnight means 24:00.</param>
public sealed record WorkingPeriod(LocalTime Start, LocalTime End)
{
    private const long NanosecondsPerDay = 86_400L * 1_000_000_000L;

    /// <summary>The start as nanoseconds since local midnight.</summary>
    internal long StartNanos => Start.NanosecondOfDay;

    /// <summary>The end as nanoseconds since local midnight; 24:00 is <c>86 400 × 10⁹</c>.</summary>
    internal long EndNanos => End == LocalTime.Midnight ? NanosecondsPerDay : End.NanosecondOfDay;

    /// <summary>The nominal length (on a day without a clock change).</summary>
    public Duration NominalLength => Duration.FromNanoseconds(EndNanos - StartNanos);

    /// <summary>Creates a period from whole hours and minutes, e.g. <c>WorkingPeriod.Of(8, 0, 12, 0)</c>.</summary>
    public static WorkingPeriod Of(int startHour, int startMinute, int endHour, int endMinute) =>
        new(new LocalTime(startHour, startMinute), endHour == 24 && endMinute == 0 ? LocalTime.Midnight : new LocalTime(endHour, endMinute));

    /// <summary>
    /// What is wrong with this period on <paramref name="day"/>, as a sentence; null when nothing is. A period that runs
    /// overnight is told how to be entered: as two, split at midnight.
    /// </summary>
    internal string? ProblemOn(IsoDayOfWeek day)
    {
        if (EndNanos > StartNanos)
        {
            return null;
        }

        if (EndNanos == StartNanos)
        {
            return $"Working period {this} on {day} is empty: it ends when it starts.";
        }

        var next = day == IsoDayOfWeek.Sunday ? IsoDayOfWeek.Monday : day + 1;
        var evening = new WorkingPeriod(Start, LocalTime.Midnight);
        var morning = new WorkingPeriod(LocalTime.Midnight, End);
        return $"Working period {this} on {day} ends before it starts: a period ends by midnight (24:00), so enter one that runs overnight as two, {evening} on {day} and {morning} on {next}.";
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)}–{(End == LocalTime.Midnight ? "24:00" : End.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture))}";
}
