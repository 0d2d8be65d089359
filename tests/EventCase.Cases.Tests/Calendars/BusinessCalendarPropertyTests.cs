using EventCase.Cases.Calendars;
using NodaTime;
using NodaTime.TimeZones;

namespace EventCase.Cases.Tests.Calendars;

/// <summary>
/// The arithmetic (week-skipping) paths checked against slow, obviously-correct references on many seeded random
/// cases, in zones with clock changes at 02:00 (New York) and at midnight (Santiago).
/// </summary>
public sealed class BusinessCalendarPropertyTests
{
    public static TheoryData<string> Zones() => ["America/New_York", "America/Santiago", "Europe/London", "UTC"];

    private static BusinessCalendar CalendarIn(string zoneId, Random random)
    {
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var hours = new Dictionary<IsoDayOfWeek, IReadOnlyList<WorkingPeriod>>
        {
            [IsoDayOfWeek.Monday] = [WorkingPeriod.Of(8, 0, 12, 0), WorkingPeriod.Of(13, 0, 17, 0)],
            [IsoDayOfWeek.Tuesday] = [WorkingPeriod.Of(9, 0, 17, 0)],
            [IsoDayOfWeek.Wednesday] = [WorkingPeriod.Of(0, 0, 3, 0), WorkingPeriod.Of(9, 0, 17, 0)],
            [IsoDayOfWeek.Thursday] = [WorkingPeriod.Of(9, 0, 17, 30)],
            [IsoDayOfWeek.Friday] = [WorkingPeriod.Of(9, 0, 15, 0)],
            [IsoDayOfWeek.Sunday] = [WorkingPeriod.Of(0, 0, 4, 0), WorkingPeriod.Of(22, 0, 24, 0)],
        };
        var holidays = Enumerable.Range(0, 40).Select(_ => new LocalDate(2025, 1, 1).PlusDays(random.Next(0, 1100)));
        return new BusinessCalendar(zone, hours, holidays);
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void Business_time_between_matches_a_day_by_day_sum_over_long_ranges(string zoneId)
    {
        var random = new Random(20260308);
        var calendar = CalendarIn(zoneId, random);
        for (var i = 0; i < 60; i++)
        {
            var from = new LocalDate(2025, 1, 1).PlusDays(random.Next(0, 400));
            var to = from.PlusDays(random.Next(0, 500));
            var daySum = Duration.Zero;
            for (var d = from; d < to; d = d.PlusDays(1))
            {
                daySum += calendar.BusinessTimeOn(d);
            }

            var start = calendar.Zone.AtStartOfDay(from).ToInstant();
            var end = calendar.Zone.AtStartOfDay(to).ToInstant();
            Assert.Equal(daySum, calendar.BusinessTimeBetween(start, end));
        }
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void The_due_instant_is_the_first_instant_at_which_the_target_has_elapsed(string zoneId)
    {
        var random = new Random(20261101);
        var calendar = CalendarIn(zoneId, random);
        for (var i = 0; i < 200; i++)
        {
            var start = Instant.FromUtc(2025, 1, 1, 0, 0) + Duration.FromMinutes(random.Next(0, 60 * 24 * 400));
            var amount = Duration.FromMinutes(random.Next(1, i % 2 == 0 ? 60 * 40 : 60 * 2000));

            var due = calendar.AddBusinessTime(start, amount);

            Assert.Equal(amount, calendar.BusinessTimeBetween(start, due));
            Assert.True(calendar.BusinessTimeBetween(start, due - Duration.FromNanoseconds(1)) < amount);
        }
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void Business_time_between_agrees_with_sampling_every_five_minutes(string zoneId)
    {
        var random = new Random(311);
        var calendar = CalendarIn(zoneId, random);
        var step = Duration.FromMinutes(5);
        for (var i = 0; i < 12; i++)
        {
            // Period boundaries and these zones' clock changes fall on five-minute marks, so sampling is exact.
            var start = Instant.FromUtc(2025, 1, 1, 0, 0) + (step * random.Next(0, 12 * 24 * 700));
            var end = start + (step * random.Next(0, 12 * 24 * 10));
            var sampled = Duration.Zero;
            for (var t = start; t < end; t += step)
            {
                if (calendar.IsWorkingTime(t))
                {
                    sampled += step;
                }
            }

            Assert.Equal(sampled, calendar.BusinessTimeBetween(start, end));
        }
    }

    [Fact]
    public void A_target_of_years_is_computed_without_walking_every_day()
    {
        var calendar = BusinessCalendar.Weekdays("America/New_York", [WorkingPeriod.Of(9, 0, 17, 0)]);
        var start = Instant.FromUtc(2026, 1, 5, 14, 0);
        var tenYears = Duration.FromHours(8 * 5 * 52 * 10);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Instant due = default;
        for (var i = 0; i < 1000; i++)
        {
            due = calendar.AddBusinessTime(start, tenYears);
        }

        watch.Stop();
        Assert.Equal(tenYears, calendar.BusinessTimeBetween(start, due));

        // A day-by-day walk would visit 3,640 days per call; 1,000 calls of the arithmetic path take milliseconds.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"1000 ten-year due computations took {watch.Elapsed}");
    }

    [Theory]
    [MemberData(nameof(Zones))]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("America/Havana")]
    public void Every_day_of_a_decade_maps_its_working_periods_as_the_zone_resolvers_do(string zoneId)
    {
        // The calendar maps a working period without the resolvers when no offset change is near; the resolvers
        // (earlier for a start, later for an end, forward-shifted in gaps; midnight as the start of the next day)
        // are the reference for every day, including each day with a change. Where the mapped periods overlap in real
        // time (00:00–01:30 ends at 02:30 BST on London's spring-forward day, after 02:00–03:00 began), the overlap
        // counts once.
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var periods = new[] { WorkingPeriod.Of(0, 0, 1, 30), WorkingPeriod.Of(2, 0, 3, 0), WorkingPeriod.Of(8, 30, 17, 0), WorkingPeriod.Of(23, 0, 24, 0) };
        var hours = Enumerable.Range(1, 7).ToDictionary(d => (IsoDayOfWeek)d, _ => (IReadOnlyList<WorkingPeriod>)periods);
        var calendar = new BusinessCalendar(zone, hours);
        var startResolver = Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnForwardShifted);
        var endResolver = Resolvers.CreateMappingResolver(Resolvers.ReturnLater, Resolvers.ReturnForwardShifted);

        for (var date = new LocalDate(2020, 1, 1); date < new LocalDate(2030, 1, 1); date = date.PlusDays(1))
        {
            var expected = Duration.Zero;
            var countedUntil = Instant.MinValue;
            foreach (var (start, end) in periods
                .Select(period => (
                    Start: zone.ResolveLocal(date + period.Start, startResolver).ToInstant(),
                    End: period.End == LocalTime.Midnight
                        ? zone.AtStartOfDay(date.PlusDays(1)).ToInstant()
                        : zone.ResolveLocal(date + period.End, endResolver).ToInstant()))
                .OrderBy(p => p.Start))
            {
                var from = start > countedUntil ? start : countedUntil;
                expected += end > from ? end - from : Duration.Zero;
                countedUntil = end > countedUntil ? end : countedUntil;
            }

            Assert.True(expected == calendar.BusinessTimeOn(date), $"{zoneId} {date}: expected {expected}, got {calendar.BusinessTimeOn(date)}");
        }
    }
}
