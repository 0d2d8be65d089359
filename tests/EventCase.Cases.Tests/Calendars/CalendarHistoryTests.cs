using EventCase.Cases.Calendars;
using EventCase.Cases.Sla;
using NodaTime;

namespace EventCase.Cases.Tests.Calendars;

public sealed class CalendarHistoryTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];
    private static readonly BusinessCalendar NineToFive = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)]);

    private static Instant Local(int month, int day, int hour, int minute = 0) => NewYork.AtStrictly(new LocalDateTime(2026, month, day, hour, minute)).ToInstant();

    private static BusinessCalendar NineToFiveWithHolidays(params LocalDate[] holidays) =>
        BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)], holidays);

    [Fact]
    public void Each_stretch_of_time_is_counted_on_the_calendar_in_force_while_it_passed()
    {
        // From Wednesday 4 March 12:00 the office works 08:00–18:00 instead of 09:00–17:00.
        var longer = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(8, 0, 18, 0)]);
        var history = CalendarHistory.Of(NineToFive).Then(Local(3, 4, 12), longer);

        // Mon 8 h + Tue 8 h + Wed 09:00–12:00 3 h on the old hours, Wed 12:00–18:00 6 h + Thu 10 h on the new.
        Assert.Equal(Duration.FromHours(35), history.BusinessTimeBetween(Local(3, 2, 9), Local(3, 6, 8)));
        Assert.Equal(Local(3, 5, 18), history.AddBusinessTime(Local(3, 2, 9), Duration.FromHours(35)));
        Assert.Same(NineToFive, history.At(Local(3, 4, 11, 59)));
        Assert.Same(longer, history.At(Local(3, 4, 12)));
        Assert.Same(longer, history.Current);
    }

    [Fact]
    public void A_holiday_added_for_a_day_that_has_passed_leaves_the_time_counted_on_that_day_as_it_was()
    {
        // On Wednesday 4 March the agency records Tuesday 3 March (already worked) and Thursday 5 March as holidays.
        var history = CalendarHistory.Of(NineToFive).Then(Local(3, 4, 12), NineToFiveWithHolidays(new LocalDate(2026, 3, 3), new LocalDate(2026, 3, 5)));

        Assert.Equal(Duration.FromHours(16), history.BusinessTimeBetween(Local(3, 2, 9), Local(3, 4, 9)));
        // 24 h from Monday: Mon 8 + Tue 8 + Wed 8 (Tuesday counted, it was worked): due Wednesday 17:00, as before.
        Assert.Equal(Local(3, 4, 17), history.AddBusinessTime(Local(3, 2, 9), Duration.FromHours(24)));
        // 32 h: Thursday is now a holiday, so the last 8 h fall on Friday.
        Assert.Equal(Local(3, 6, 17), history.AddBusinessTime(Local(3, 2, 9), Duration.FromHours(32)));
    }

    [Fact]
    public void The_history_as_of_an_instant_leaves_out_the_changes_made_after_it()
    {
        var holidayThursday = NineToFiveWithHolidays(new LocalDate(2026, 3, 5));
        var history = CalendarHistory.Of(NineToFive).Then(Local(3, 4, 12), holidayThursday);

        Assert.Same(NineToFive, history.AsOf(Local(3, 4, 11)).Current);
        Assert.Same(history, history.AsOf(Local(3, 4, 12)));
        Assert.Equal(Local(3, 5, 17), history.AsOf(Local(3, 4, 11)).AddBusinessTime(Local(3, 2, 9), Duration.FromHours(32)));
    }

    [Fact]
    public void A_change_dated_before_the_last_one_replaces_it_from_the_last_ones_instant()
    {
        var first = NineToFiveWithHolidays(new LocalDate(2026, 3, 5));
        var second = NineToFiveWithHolidays(new LocalDate(2026, 3, 6));
        var history = CalendarHistory.Of(NineToFive).Then(Local(3, 4, 12), first).Then(Local(3, 4, 11), second);

        Assert.Equal([Instant.MinValue, Local(3, 4, 12)], history.Changes.Select(c => c.From));
        Assert.Same(second, history.At(Local(3, 4, 12)));
        Assert.Same(NineToFive, history.At(Local(3, 4, 11, 30)));
    }

    [Fact]
    public void An_sla_clock_keeps_a_breach_that_happened_before_a_calendar_change_that_would_have_prevented_it()
    {
        // 16 h from Monday 09:00 ran out on Tuesday 17:00. On Wednesday the agency marks Tuesday as a holiday (a
        // storm closed the offices): that does not undo the breach the queues showed on Tuesday evening.
        var history = CalendarHistory.Of(NineToFive).Then(Local(3, 4, 12), NineToFiveWithHolidays(new LocalDate(2026, 3, 3)));
        var timeline = new SlaTimeline(Local(3, 2, 9), [], null);

        var clock = SlaClock.Compute(SlaTarget.BusinessHours(16), history, timeline, Local(3, 4, 13));

        Assert.Equal(Local(3, 3, 17), clock.BreachedAt);
        Assert.Equal(Duration.FromHours(20), clock.Elapsed);
    }

    [Fact]
    public void An_sla_clock_of_an_open_case_is_due_later_when_a_closure_ahead_is_added()
    {
        // 32 h from Monday 09:00: due Thursday 17:00, until on Wednesday a closure on Thursday and Friday is announced.
        var history = CalendarHistory.Of(NineToFive).Then(Local(3, 4, 12), NineToFiveWithHolidays(new LocalDate(2026, 3, 5), new LocalDate(2026, 3, 6)));
        var timeline = new SlaTimeline(Local(3, 2, 9), [], null);

        var before = SlaClock.Compute(SlaTarget.BusinessHours(32), history.AsOf(Local(3, 4, 11)), timeline, Local(3, 4, 11));
        var after = SlaClock.Compute(SlaTarget.BusinessHours(32), history, timeline, Local(3, 4, 13));

        Assert.Equal(Local(3, 5, 17), before.Due);
        Assert.Equal(Local(3, 9, 17), after.Due);
        Assert.Equal(Duration.FromHours(20), after.Elapsed);
    }

    [Fact]
    public void Over_many_changes_the_due_instant_is_the_first_at_which_the_target_has_elapsed()
    {
        var random = new Random(20260304);
        var history = CalendarHistory.Of(NineToFive);
        var at = Local(1, 5, 9);
        for (var i = 0; i < 12; i++)
        {
            at += Duration.FromMinutes(random.Next(60, 60 * 24 * 10));
            var start = random.Next(6, 11);
            var holidays = Enumerable.Range(0, 5).Select(_ => new LocalDate(2026, 1, 1).PlusDays(random.Next(0, 200))).ToArray();
            history = history.Then(at, BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(start, 0, start + random.Next(4, 10), 30)], holidays));
        }

        for (var i = 0; i < 200; i++)
        {
            var from = Local(1, 1, 0) + Duration.FromMinutes(random.Next(0, 60 * 24 * 150));
            var amount = Duration.FromMinutes(random.Next(1, 60 * 400));

            var due = history.AddBusinessTime(from, amount);

            Assert.Equal(amount, history.BusinessTimeBetween(from, due));
            Assert.True(history.BusinessTimeBetween(from, due - Duration.FromNanoseconds(1)) < amount);
            var middle = from + ((due - from) / 2);
            Assert.Equal(history.BusinessTimeBetween(from, due), history.BusinessTimeBetween(from, middle) + history.BusinessTimeBetween(middle, due));
        }
    }
}
