using EventCase.Cases.Calendars;
using NodaTime;

namespace EventCase.Cases.Tests.Calendars;

public sealed class BusinessCalendarTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    private static readonly BusinessCalendar NineToFive =
        BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)]);

    private static readonly BusinessCalendar SplitDay =
        BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(8, 0, 12, 0), WorkingPeriod.Of(13, 0, 17, 0)]);

    private static Instant Local(int year, int month, int day, int hour, int minute = 0) =>
        NewYork.AtStrictly(new LocalDateTime(year, month, day, hour, minute)).ToInstant();

    private static BusinessCalendar EveryDay(params WorkingPeriod[] periods) => new(
        NewYork,
        Enum.GetValues<IsoDayOfWeek>().Where(d => d != IsoDayOfWeek.None).ToDictionary(d => d, _ => (IReadOnlyList<WorkingPeriod>)periods));

    [Fact]
    public void A_target_that_spans_the_spring_forward_weekend_is_due_at_the_same_wall_clock_time_on_monday()
    {
        // Friday 16:00 EST + 2 business hours: 1 h on Friday, 1 h on Monday after the clocks went forward on Sunday.
        var due = NineToFive.AddBusinessTime(Local(2026, 3, 6, 16), Duration.FromHours(2));

        Assert.Equal(Local(2026, 3, 9, 10), due);
        Assert.Equal(Instant.FromUtc(2026, 3, 9, 14, 0), due);
    }

    [Fact]
    public void A_target_that_spans_the_fall_back_weekend_is_due_at_the_same_wall_clock_time_on_monday()
    {
        var due = NineToFive.AddBusinessTime(Local(2026, 10, 30, 16), Duration.FromHours(2));

        Assert.Equal(Instant.FromUtc(2026, 11, 2, 15, 0), due);
    }

    [Fact]
    public void A_working_day_across_a_clock_change_counts_the_hours_that_really_passed()
    {
        var roundTheClock = EveryDay(WorkingPeriod.Of(0, 0, 24, 0));
        var nightShift = EveryDay(WorkingPeriod.Of(1, 0, 3, 0));

        Assert.Equal(Duration.FromHours(23), roundTheClock.BusinessTimeOn(new LocalDate(2026, 3, 8)));
        Assert.Equal(Duration.FromHours(25), roundTheClock.BusinessTimeOn(new LocalDate(2026, 11, 1)));
        Assert.Equal(Duration.FromHours(1), nightShift.BusinessTimeOn(new LocalDate(2026, 3, 8)));
        Assert.Equal(Duration.FromHours(3), nightShift.BusinessTimeOn(new LocalDate(2026, 11, 1)));
        Assert.Equal(Duration.FromHours(2), nightShift.BusinessTimeOn(new LocalDate(2026, 11, 2)));
    }

    [Fact]
    public void A_date_the_zone_skipped_whole_has_no_business_time_and_nothing_falls_due_on_it()
    {
        // Samoa moved across the date line at the end of Thursday 29 December 2011: Friday the 30th never happened there.
        var apia = DateTimeZoneProviders.Tzdb["Pacific/Apia"];
        var calendar = BusinessCalendar.Weekdays("Pacific/Apia", [WorkingPeriod.Of(8, 0, 12, 0), WorkingPeriod.Of(13, 0, 16, 0)]);
        Instant At(int year, int month, int day, int hour) => apia.AtStrictly(new LocalDateTime(year, month, day, hour, 0)).ToInstant();

        Assert.Equal(Duration.Zero, calendar.BusinessTimeOn(new LocalDate(2011, 12, 30)));
        // Thursday alone, then Monday: no phantom Friday mapped onto Saturday's hours.
        Assert.Equal(Duration.FromHours(7), calendar.BusinessTimeBetween(At(2011, 12, 29, 0), At(2012, 1, 2, 0)));
        // Three weeks (the whole-week path): fifteen weekdays less the skipped Friday.
        Assert.Equal(Duration.FromHours(14 * 7), calendar.BusinessTimeBetween(At(2011, 12, 19, 0), At(2012, 1, 9, 0)));
        Assert.Equal(At(2012, 1, 2, 10), calendar.AddBusinessTime(At(2011, 12, 29, 15), Duration.FromHours(3)));
        Assert.Equal(At(2012, 1, 16, 10), calendar.AddBusinessTime(At(2011, 12, 19, 8), Duration.FromHours(14 * 7 + 7 * 5 + 2)));
    }

    [Fact]
    public void Shifts_split_inside_the_repeated_hour_count_the_night_the_clocks_go_back_once()
    {
        // 1 November 2026, 02:00 EDT → 01:00 EST: 01:30 happens twice. The first shift ends at the second 01:30, the
        // second starts at the first, so they overlap by an hour of real time; the night has 7 real hours of work.
        var shifts = EveryDay(WorkingPeriod.Of(0, 0, 1, 30), WorkingPeriod.Of(1, 30, 6, 0));
        var midnight = Local(2026, 11, 1, 0);

        Assert.Equal(Duration.FromHours(7), shifts.BusinessTimeOn(new LocalDate(2026, 11, 1)));
        Assert.Equal(Duration.FromHours(7), shifts.BusinessTimeBetween(midnight, midnight + Duration.FromHours(7)));
        Assert.Equal(Instant.FromUtc(2026, 11, 1, 11, 0), shifts.AddBusinessTime(midnight, Duration.FromHours(7)));
        Assert.Equal(Duration.FromHours(7 + (5 * 6)), shifts.BusinessTimeBetween(midnight, Local(2026, 11, 7, 0)));
    }

    [Fact]
    public void A_shift_that_ends_inside_the_spring_forward_gap_does_not_count_the_next_shifts_first_half_hour_twice()
    {
        // 8 March 2026, 02:00 EST → 03:00 EDT: the 02:30 end is shifted forward by the gap to 03:30 EDT, past the 03:00
        // start of the next shift. Real work that night: 00:00 EST to 08:00 EDT, 7 hours.
        var shifts = EveryDay(WorkingPeriod.Of(0, 0, 2, 30), WorkingPeriod.Of(3, 0, 8, 0));
        var midnight = Local(2026, 3, 8, 0);

        Assert.Equal(Duration.FromHours(7), shifts.BusinessTimeOn(new LocalDate(2026, 3, 8)));
        Assert.Equal(Duration.FromHours(7), shifts.BusinessTimeBetween(midnight, Local(2026, 3, 8, 12)));
        // 3 h from midnight: 00:00–02:00 EST and 03:00–04:00 EDT, not 03:00 plus the overlap counted again.
        Assert.Equal(Local(2026, 3, 8, 4), shifts.AddBusinessTime(midnight, Duration.FromHours(3)));
        Assert.Equal(Duration.FromHours(7 + (6 * 7.5)), shifts.BusinessTimeBetween(midnight, Local(2026, 3, 15, 0)));
    }

    [Fact]
    public void A_round_the_clock_calendar_counts_real_elapsed_time_across_both_clock_changes()
    {
        var roundTheClock = EveryDay(WorkingPeriod.Of(0, 0, 24, 0));
        var start = Instant.FromUtc(2026, 2, 20, 9, 17);
        var end = Instant.FromUtc(2026, 11, 20, 3, 41);

        Assert.Equal(end - start, roundTheClock.BusinessTimeBetween(start, end));
        Assert.Equal(end, roundTheClock.AddBusinessTime(start, end - start));
    }

    [Fact]
    public void A_holiday_is_skipped_like_a_weekend_day()
    {
        var withHoliday = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)], [new LocalDate(2026, 1, 19)]);

        Assert.Equal(Local(2026, 1, 20, 10), withHoliday.AddBusinessTime(Local(2026, 1, 16, 16), Duration.FromHours(2)));
        Assert.Equal(Duration.FromHours(2), withHoliday.BusinessTimeBetween(Local(2026, 1, 16, 16), Local(2026, 1, 20, 10)));
        Assert.Equal(Duration.Zero, withHoliday.BusinessTimeOn(new LocalDate(2026, 1, 19)));
    }

    [Fact]
    public void A_start_at_the_weekend_counts_from_monday_morning()
    {
        Assert.Equal(Local(2026, 1, 12, 10), NineToFive.AddBusinessTime(Local(2026, 1, 10, 12), Duration.FromHours(1)));
    }

    [Fact]
    public void A_start_before_opening_counts_from_opening_and_a_start_after_closing_from_the_next_morning()
    {
        Assert.Equal(Local(2026, 1, 12, 10), NineToFive.AddBusinessTime(Local(2026, 1, 12, 7), Duration.FromHours(1)));
        Assert.Equal(Local(2026, 1, 13, 10), NineToFive.AddBusinessTime(Local(2026, 1, 12, 19), Duration.FromHours(1)));
    }

    [Fact]
    public void A_split_day_skips_the_lunch_break()
    {
        Assert.Equal(Local(2026, 1, 12, 14), SplitDay.AddBusinessTime(Local(2026, 1, 12, 11), Duration.FromHours(2)));
        Assert.Equal(Duration.FromHours(2), SplitDay.BusinessTimeBetween(Local(2026, 1, 12, 11), Local(2026, 1, 12, 14)));
        Assert.Equal(Duration.FromHours(8), SplitDay.BusinessTimeOn(new LocalDate(2026, 1, 12)));
    }

    [Fact]
    public void Time_that_runs_out_exactly_at_a_break_is_due_at_the_break_not_after_it()
    {
        Assert.Equal(Local(2026, 1, 12, 12), SplitDay.AddBusinessTime(Local(2026, 1, 12, 8), Duration.FromHours(4)));
        Assert.Equal(Local(2026, 1, 12, 17), SplitDay.AddBusinessTime(Local(2026, 1, 12, 8), Duration.FromHours(8)));
    }

    [Fact]
    public void A_target_spanning_ten_weeks_with_holidays_and_a_clock_change_lands_on_the_right_afternoon()
    {
        var calendar = BusinessCalendar.Weekdays(
            "America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)], [new LocalDate(2026, 1, 19), new LocalDate(2026, 2, 16)]);

        // 50 working days of 8 hours from Monday 5 January: ten weeks, plus two for the holidays.
        var due = calendar.AddBusinessTime(Local(2026, 1, 5, 9), Duration.FromHours(400));

        Assert.Equal(Local(2026, 3, 17, 17), due);
        Assert.Equal(Duration.FromHours(400), calendar.BusinessTimeBetween(Local(2026, 1, 5, 9), due));
    }

    [Fact]
    public void Business_time_between_is_zero_for_an_empty_or_backwards_interval_and_adding_nothing_is_the_start()
    {
        var start = Local(2026, 1, 12, 10);

        Assert.Equal(Duration.Zero, NineToFive.BusinessTimeBetween(start, start));
        Assert.Equal(Duration.Zero, NineToFive.BusinessTimeBetween(start, start - Duration.FromHours(1)));
        Assert.Equal(start, NineToFive.AddBusinessTime(start, Duration.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => NineToFive.AddBusinessTime(start, Duration.FromHours(-1)));
    }

    [Fact]
    public void Is_working_time_knows_opening_hours_breaks_weekends_and_holidays()
    {
        var calendar = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(8, 0, 12, 0), WorkingPeriod.Of(13, 0, 17, 0)], [new LocalDate(2026, 1, 19)]);

        Assert.True(calendar.IsWorkingTime(Local(2026, 1, 12, 8)));
        Assert.False(calendar.IsWorkingTime(Local(2026, 1, 12, 12, 30)));
        Assert.False(calendar.IsWorkingTime(Local(2026, 1, 12, 17)));
        Assert.False(calendar.IsWorkingTime(Local(2026, 1, 10, 10)));
        Assert.False(calendar.IsWorkingTime(Local(2026, 1, 19, 10)));
    }

    [Fact]
    public void Business_time_that_runs_out_after_the_year_9999_is_refused_with_a_sentence_that_says_so()
    {
        var minuteAWeek = new BusinessCalendar(NewYork, new Dictionary<IsoDayOfWeek, IReadOnlyList<WorkingPeriod>> { [IsoDayOfWeek.Monday] = [WorkingPeriod.Of(9, 0, 9, 1)] });

        var tooFar = Assert.Throws<ArgumentOutOfRangeException>(() => minuteAWeek.AddBusinessTime(Local(2026, 1, 12, 9), Duration.FromHours(10_000)));
        var nearTheEnd = Assert.Throws<ArgumentOutOfRangeException>(() => NineToFive.AddBusinessTime(Instant.FromUtc(9999, 12, 1, 0, 0), Duration.FromHours(1_000)));

        Assert.Equal("amount", tooFar.ParamName);
        Assert.Contains("runs out after 9999", tooFar.Message, StringComparison.Ordinal);
        Assert.Contains("runs out after 9999", nearTheEnd.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_periods_and_a_week_without_work_are_refused()
    {
        Assert.Throws<ArgumentException>(() => BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(8, 0, 12, 0), WorkingPeriod.Of(11, 0, 17, 0)]));
        Assert.Throws<ArgumentException>(() => BusinessCalendar.Weekdays("America/New_York", []));
        Assert.Throws<ArgumentException>(() => BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(12, 0, 8, 0)]));
    }
    [Fact]
    public void Regression_a_range_that_starts_on_a_day_shortened_by_a_midnight_clock_change_counts_the_shortened_day()
    {
        // Santiago springs forward at 00:00 on Sunday 7 September 2025: the transition instant is that day's first
        // instant, and the whole-days arithmetic once missed it because it looked only strictly after the range start.
        var santiago = DateTimeZoneProviders.Tzdb["America/Santiago"];
        var calendar = new BusinessCalendar(santiago, new Dictionary<IsoDayOfWeek, IReadOnlyList<WorkingPeriod>>
        {
            [IsoDayOfWeek.Sunday] = [WorkingPeriod.Of(0, 0, 4, 0)],
            [IsoDayOfWeek.Monday] = [WorkingPeriod.Of(9, 0, 17, 0)],
        });
        var saturday = santiago.AtStrictly(new LocalDateTime(2025, 9, 6, 12, 0)).ToInstant();
        var tuesday = santiago.AtStrictly(new LocalDateTime(2025, 9, 9, 12, 0)).ToInstant();

        Assert.Equal(Duration.FromHours(3), calendar.BusinessTimeOn(new LocalDate(2025, 9, 7)));
        Assert.Equal(Duration.FromHours(11), calendar.BusinessTimeBetween(saturday, tuesday));
        Assert.Equal(santiago.AtStrictly(new LocalDateTime(2025, 9, 8, 17, 0)).ToInstant(), calendar.AddBusinessTime(saturday, Duration.FromHours(11)));
    }
}
