using EventCase.Cases.Calendars;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Sla;

public sealed class SlaClockTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];
    private static readonly BusinessCalendar NineToFive = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)]);
    private static readonly SlaTarget SixteenHours = SlaTarget.BusinessHours(16);

    private static Instant Local(int month, int day, int hour) => NewYork.AtStrictly(new LocalDateTime(2026, month, day, hour, 0)).ToInstant();

    private static CaseEvent[] History(params CaseEvent[] after) => [Opened() with { At = Local(3, 2, 9) }, .. after];

    [Fact]
    public void The_timeline_pauses_while_waiting_on_the_citizen_and_while_resolved_and_stops_at_close()
    {
        var timeline = SlaTimeline.FromHistory(History(
            new InformationRequested(Id, "Where?", Channel.Email, Local(3, 2, 10)),
            new InformationReceived(Id, "Here", Channel.Email, Local(3, 3, 10)),
            new CaseResolved(Id, "repaired", "Done", Local(3, 4, 10)),
            new CaseReopened(Id, "Not done", Local(3, 5, 10)),
            new CaseResolved(Id, "repaired", "Done now", Local(3, 6, 10)),
            new CaseClosed(Id, Local(3, 9, 10))));

        Assert.Equal(Local(3, 2, 9), timeline.Started);
        Assert.Equal(
            [
                new PausedInterval(Local(3, 2, 10), Local(3, 3, 10), SlaPauseReason.AwaitingCitizen),
                new PausedInterval(Local(3, 4, 10), Local(3, 5, 10), SlaPauseReason.Resolved),
                new PausedInterval(Local(3, 6, 10), null, SlaPauseReason.Resolved),
            ],
            timeline.Pauses);
        Assert.Equal(Local(3, 9, 10), timeline.StoppedAt);
    }

    [Fact]
    public void Without_pauses_sixteen_business_hours_from_monday_morning_are_due_tuesday_at_closing()
    {
        var clock = SlaClock.Compute(SixteenHours, NineToFive, SlaTimeline.FromHistory(History()), Local(3, 3, 12));

        Assert.Equal(Local(3, 3, 17), clock.Due);
        Assert.Equal(Duration.FromHours(11), clock.Elapsed);
        Assert.Equal(Duration.FromHours(5), clock.Remaining);
        Assert.False(clock.IsBreached);
        Assert.False(clock.IsPaused);
    }

    [Fact]
    public void Waiting_on_the_citizen_moves_the_due_time_and_a_late_finish_records_when_it_was_breached()
    {
        var timeline = SlaTimeline.FromHistory(History(
            new InformationRequested(Id, "Where?", Channel.Email, Local(3, 2, 13)),
            new InformationReceived(Id, "Here", Channel.Email, Local(3, 4, 9))));

        var clock = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 5, 14));

        // 4 h on Monday, paused until Wednesday 09:00, 8 h on Wednesday, 4 h on Thursday.
        Assert.Equal(Local(3, 5, 13), clock.Due);
        Assert.Equal(Local(3, 5, 13), clock.BreachedAt);
        Assert.Equal(Duration.FromHours(17), clock.Elapsed);
        Assert.Equal(Duration.Zero, clock.Remaining);
    }

    [Fact]
    public void While_a_pause_lasts_the_due_time_is_unknown_and_the_elapsed_time_stands_still()
    {
        var timeline = SlaTimeline.FromHistory(History(new InformationRequested(Id, "Where?", Channel.Email, Local(3, 2, 13))));

        var thatEvening = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 2, 16));
        var aWeekLater = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 9, 16));

        Assert.True(aWeekLater.IsPaused);
        Assert.Null(aWeekLater.Due);
        Assert.Null(aWeekLater.BreachedAt);
        Assert.Equal(Duration.FromHours(4), thatEvening.Elapsed);
        Assert.Equal(Duration.FromHours(4), aWeekLater.Elapsed);
        Assert.Equal(Duration.FromHours(12), aWeekLater.Remaining);
    }

    [Fact]
    public void A_target_missed_before_the_pause_stays_breached_while_paused()
    {
        var timeline = SlaTimeline.FromHistory(History(new InformationRequested(Id, "Where?", Channel.Email, Local(3, 4, 10))));

        var clock = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 6, 10));

        Assert.True(clock.IsPaused);
        Assert.Equal(Local(3, 3, 17), clock.BreachedAt);
    }

    [Fact]
    public void Resolving_pauses_the_clock_and_reopening_resumes_it()
    {
        var timeline = SlaTimeline.FromHistory(History(
            new CaseResolved(Id, "repaired", "Done", Local(3, 2, 15)),
            new CaseReopened(Id, "Not done", Local(3, 3, 9))));

        var clock = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 3, 10));

        // 6 h on Monday before the resolution, 1 h on Tuesday after the reopen; the other 9 h run to Wednesday 11:00.
        Assert.Equal(Duration.FromHours(7), clock.Elapsed);
        Assert.Equal(Local(3, 4, 11), clock.Due);
    }

    [Fact]
    public void A_case_closed_in_time_is_never_breached_however_late_the_clock_is_read()
    {
        var timeline = SlaTimeline.FromHistory(History(
            new CaseResolved(Id, "repaired", "Done", Local(3, 2, 15)),
            new CaseClosed(Id, Local(3, 3, 9))));

        var clock = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(6, 1, 9));

        Assert.Null(clock.BreachedAt);
        Assert.Equal(Duration.FromHours(6), clock.Elapsed);
        Assert.Equal(Local(3, 3, 9), clock.StoppedAt);
        Assert.False(clock.IsPaused);
    }

    [Fact]
    public void A_calendar_day_target_is_due_at_the_same_local_time_even_across_the_spring_forward()
    {
        var opened = Opened() with { At = Local(3, 6, 10) };
        var clock = SlaClock.Compute(SlaTarget.CalendarDays(3), NineToFive, SlaTimeline.FromHistory([opened]), Local(3, 6, 11));

        Assert.Equal(Local(3, 9, 10), clock.Due);
        Assert.Equal(Duration.FromHours(71) - Duration.FromHours(1), clock.Remaining);
    }

    [Fact]
    public void A_calendar_day_target_is_pushed_back_by_a_pause()
    {
        var opened = Opened() with { At = Local(3, 6, 10) };
        var timeline = SlaTimeline.FromHistory([
            opened,
            new InformationRequested(Id, "Where?", Channel.Email, Local(3, 7, 10)),
            new InformationReceived(Id, "Here", Channel.Email, Local(3, 8, 10)),
        ]);

        var clock = SlaClock.Compute(SlaTarget.CalendarDays(3), NineToFive, timeline, Local(3, 8, 11));

        Assert.Equal(Local(3, 9, 10) + Duration.FromHours(23), clock.Due);
    }

    [Fact]
    public void Elapsed_business_time_and_the_due_instant_leave_out_every_paused_interval()
    {
        IReadOnlyList<PausedInterval> pauses =
        [
            new PausedInterval(Local(3, 2, 10), Local(3, 2, 11), SlaPauseReason.AwaitingCitizen),
            new PausedInterval(Local(3, 2, 14), Local(3, 3, 10), SlaPauseReason.Resolved),
        ];

        // 11 business hours, less 1 h and 4 h of pauses.
        Assert.Equal(Duration.FromHours(6), SlaClock.BusinessTimeElapsed(NineToFive, Local(3, 2, 9), Local(3, 3, 12), pauses));
        // 1 h + 3 h on Monday around the first pause, then 4 h from Tuesday 10:00.
        Assert.Equal(Local(3, 3, 14), SlaClock.DueInstant(NineToFive, Local(3, 2, 9), Duration.FromHours(8), pauses));
        Assert.Null(SlaClock.DueInstant(NineToFive, Local(3, 2, 9), Duration.FromHours(8), [new PausedInterval(Local(3, 2, 10), null, SlaPauseReason.AwaitingCitizen)]));
    }

    [Fact]
    public void A_case_resolved_exactly_at_the_due_instant_met_its_target()
    {
        // Due Tuesday 17:00; resolved at 17:00 on the dot: "within 16 business hours" holds.
        var timeline = SlaTimeline.FromHistory(History(new CaseResolved(Id, "repaired", "Done", Local(3, 3, 17))));

        var clock = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 10, 9));

        Assert.Null(clock.BreachedAt);
        Assert.Equal(Duration.FromHours(16), clock.Elapsed);
        Assert.Equal(Duration.Zero, clock.Remaining);
    }

    [Fact]
    public void A_running_clock_is_breached_just_after_the_due_instant_not_at_it()
    {
        var timeline = SlaTimeline.FromHistory(History());

        var atDue = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 3, 17));
        var justAfter = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 3, 17) + Duration.FromNanoseconds(1));

        Assert.Equal(Local(3, 3, 17), atDue.Due);
        Assert.Null(atDue.BreachedAt);
        Assert.Equal(Local(3, 3, 17), justAfter.BreachedAt);
    }

    [Fact]
    public void A_pause_that_begins_as_the_target_runs_out_leaves_no_time_and_the_case_breaches_when_it_resumes()
    {
        // 16 h are used up at Tuesday 17:00, when the citizen is asked; the answer comes on Thursday at 10:00.
        var waiting = SlaTimeline.FromHistory(History(new InformationRequested(Id, "Where?", Channel.Email, Local(3, 3, 17))));
        var answered = SlaTimeline.FromHistory(History(
            new InformationRequested(Id, "Where?", Channel.Email, Local(3, 3, 17)),
            new InformationReceived(Id, "Here", Channel.Email, Local(3, 5, 10))));

        var whileWaiting = SlaClock.Compute(SixteenHours, NineToFive, waiting, Local(3, 4, 12));
        var afterTheAnswer = SlaClock.Compute(SixteenHours, NineToFive, answered, Local(3, 5, 11));

        Assert.Null(whileWaiting.BreachedAt);
        Assert.Null(whileWaiting.Due);
        Assert.Equal(Duration.Zero, whileWaiting.Remaining);
        Assert.Equal(Local(3, 5, 10), afterTheAnswer.Due);
        Assert.Equal(Local(3, 5, 10), afterTheAnswer.BreachedAt);
    }

    [Fact]
    public void A_target_that_ran_out_at_closing_is_breached_by_a_pause_that_begins_after_closing()
    {
        // Due Tuesday 17:00 (closing); the citizen is asked at 17:30: the deadline had passed.
        var timeline = SlaTimeline.FromHistory(History(new InformationRequested(Id, "Where?", Channel.Email, Local(3, 3, 17) + Duration.FromMinutes(30))));

        var clock = SlaClock.Compute(SixteenHours, NineToFive, timeline, Local(3, 4, 12));

        Assert.Equal(Local(3, 3, 17), clock.Due);
        Assert.Equal(Local(3, 3, 17), clock.BreachedAt);
    }

    [Fact]
    public void A_target_that_runs_out_after_the_last_date_a_calendar_can_count_has_no_due_instant_and_is_not_breached()
    {
        // Imported history: a source system's "no due date" sentinel, 31 December 9999, as business time from opening.
        var opened = Local(3, 2, 9);
        var sentinel = SlaTarget.BusinessTime(Instant.FromUtc(9999, 12, 31, 0, 0) - opened);
        var timeline = SlaTimeline.FromHistory(History());

        var businessHours = SlaClock.Compute(sentinel, NineToFive, timeline, Local(3, 3, 12));
        var calendarDays = SlaClock.Compute(SlaTarget.CalendarDays(5_000_000), NineToFive, timeline, Local(3, 3, 12));

        Assert.Null(businessHours.Due);
        Assert.Null(businessHours.BreachedAt);
        Assert.Equal(Duration.FromHours(11), businessHours.Elapsed);
        Assert.Equal(sentinel.Amount - Duration.FromHours(11), businessHours.Remaining);
        Assert.Null(calendarDays.Due);
        Assert.Null(calendarDays.BreachedAt);
    }

    [Fact]
    public void A_history_that_does_not_start_with_the_opening_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SlaTimeline.FromHistory([AssignedToStreets()]));
        Assert.Throws<ArgumentException>(() => SlaTimeline.FromHistory([]));
    }
}
