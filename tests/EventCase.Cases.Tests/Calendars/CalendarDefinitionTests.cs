using EventCase.Cases.Calendars;
using NodaTime;

namespace EventCase.Cases.Tests.Calendars;

public sealed class CalendarDefinitionTests
{
    private static readonly CalendarHours MondayNineToFive = new(IsoDayOfWeek.Monday, new LocalTime(9, 0), new LocalTime(17, 0));

    [Fact]
    public void A_definition_that_makes_a_calendar_has_no_problems()
    {
        var definition = new CalendarDefinition("America/New_York", [MondayNineToFive, new(IsoDayOfWeek.Friday, new LocalTime(13, 0), LocalTime.Midnight)], [new LocalDate(2026, 12, 25)]);

        Assert.Empty(definition.FindProblems());
        Assert.NotNull(definition.TryBuild().Calendar);
    }

    [Fact]
    public void A_null_working_period_as_a_deserializer_leaves_it_is_a_problem_of_that_entry_not_an_exception()
    {
        var definition = new CalendarDefinition("America/New_York", [MondayNineToFive, null!], []);

        var problem = Assert.Single(definition.FindProblems());
        Assert.Equal("hours[1]", problem.Field);
        Assert.Equal((null, problem.Message), definition.TryBuild());
    }

    [Fact]
    public void A_period_on_no_day_of_the_week_is_a_problem_of_its_day()
    {
        var definition = new CalendarDefinition("Etc/UTC", [MondayNineToFive, MondayNineToFive with { Day = IsoDayOfWeek.None }], []);

        Assert.Equal("hours[1].day", Assert.Single(definition.FindProblems()).Field);
    }

    [Fact]
    public void A_period_that_runs_overnight_is_a_problem_of_that_period_that_says_to_split_it_at_midnight()
    {
        var definition = new CalendarDefinition(
            "Etc/UTC",
            [MondayNineToFive, new(IsoDayOfWeek.Tuesday, new LocalTime(17, 0), new LocalTime(9, 0)), new(IsoDayOfWeek.Sunday, new LocalTime(22, 0), new LocalTime(6, 0))],
            []);

        var problems = definition.FindProblems();

        Assert.Equal(
            [
                ("hours[1]", "Working period 17:00–09:00 on Tuesday ends before it starts: a period ends by midnight (24:00), so enter one that runs overnight as two, 17:00–24:00 on Tuesday and 00:00–09:00 on Wednesday."),
                ("hours[2]", "Working period 22:00–06:00 on Sunday ends before it starts: a period ends by midnight (24:00), so enter one that runs overnight as two, 22:00–24:00 on Sunday and 00:00–06:00 on Monday."),
            ],
            problems.Select(p => (p.Field, p.Message)));
    }

    [Fact]
    public void A_period_that_ends_when_it_starts_is_an_empty_period()
    {
        var definition = new CalendarDefinition("Etc/UTC", [MondayNineToFive with { End = new LocalTime(9, 0) }], []);

        Assert.Equal("Working period 09:00–09:00 on Monday is empty: it ends when it starts.", Assert.Single(definition.FindProblems()).Message);
    }

    [Fact]
    public void A_night_shift_split_at_midnight_counts_on_across_midnight()
    {
        var (calendar, _) = new CalendarDefinition(
            "America/New_York",
            [new(IsoDayOfWeek.Monday, new LocalTime(22, 0), LocalTime.Midnight), new(IsoDayOfWeek.Tuesday, LocalTime.Midnight, new LocalTime(6, 0))],
            []).TryBuild();
        var zone = calendar!.Zone;
        var mondayNight = zone.AtStrictly(new LocalDateTime(2026, 3, 2, 23, 0)).ToInstant();

        Assert.Equal(zone.AtStrictly(new LocalDateTime(2026, 3, 3, 2, 0)).ToInstant(), calendar.AddBusinessTime(mondayNight, Duration.FromHours(3)));
        Assert.Equal(Duration.FromHours(3), calendar.BusinessTimeBetween(mondayNight, zone.AtStrictly(new LocalDateTime(2026, 3, 3, 2, 0)).ToInstant()));
    }

    [Fact]
    public void Overlapping_periods_are_a_problem_of_the_week_told_without_the_parameter_name()
    {
        var definition = new CalendarDefinition("Etc/UTC", [MondayNineToFive, MondayNineToFive with { Start = new LocalTime(16, 0), End = new LocalTime(18, 0) }], []);

        var problem = Assert.Single(definition.FindProblems());
        Assert.Equal(("hours", "Working periods 09:00–17:00 and 16:00–18:00 on Monday overlap."), (problem.Field, problem.Message));
    }

    [Fact]
    public void Null_lists_and_an_unknown_zone_are_problems_not_exceptions()
    {
        var definition = new CalendarDefinition("Mars/Olympus_Mons", null!, null!);

        Assert.Equal(["zone"], definition.FindProblems().Select(p => p.Field));
    }
}
