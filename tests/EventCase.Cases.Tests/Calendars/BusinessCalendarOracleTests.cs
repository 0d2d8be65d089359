using EventCase.Cases.Tests.Sla.Oracle;
using NodaTime;

namespace EventCase.Cases.Tests.Calendars;

/// <summary>
/// Long ranges, where the calendar skips whole weeks arithmetically and corrects for holidays and clock changes,
/// checked against the minute-by-minute oracle (<see cref="NaiveCalendar"/>) on seeded generated calendars.
/// </summary>
public sealed class BusinessCalendarOracleTests
{
    public static TheoryData<string> Zones() => [.. SlaScenarios.Zones];

    [Theory]
    [MemberData(nameof(Zones))]
    public void Business_time_over_months_and_the_instant_it_runs_out_agree_with_the_oracle(string zoneId)
    {
        var scenarios = new SlaScenarios(zoneId.Length * 104729);
        var random = new Random(zoneId.Length);
        for (var i = 0; i < 5; i++)
        {
            var (naive, near) = scenarios.NextCalendar(zoneId);
            // Holidays over the whole range, not only the month near the anchor: every week-skip needs correcting.
            var from = near - Duration.FromDays(random.Next(0, 20)) - Duration.FromMinutes(random.Next(0, 1440));
            var to = from + Duration.FromDays(random.Next(30, 100)) + Duration.FromMinutes(random.Next(0, 1440));
            var spec = naive.Spec with
            {
                Holidays = [.. naive.Spec.Holidays, .. Enumerable.Range(0, 12).Select(_ => from.InUtc().Date.PlusDays(random.Next(0, 100)))],
            };
            var oracle = new NaiveCalendarHistory(new NaiveCalendar(spec));
            var calendar = spec.ToProduct();

            var expected = oracle.WorkingTimeBetween(from, to);

            Assert.True(expected == calendar.BusinessTimeBetween(from, to), $"{spec} from {from} to {to}: expected {expected}, got {calendar.BusinessTimeBetween(from, to)}");
            if (expected > Duration.Zero)
            {
                // Business time that runs out at the range's last working minute is due at the end of that minute.
                var due = calendar.AddBusinessTime(from, expected);
                Assert.True(oracle.WorkingTimeBetween(from, due) == expected && oracle.At(due - Duration.FromMinutes(1)).IsWorkingMinute(due - Duration.FromMinutes(1)),
                    $"{spec}: {expected} from {from} is due at {due}");
            }
        }
    }
}
