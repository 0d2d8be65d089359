using EventCase.Cases.Sla;
using EventCase.Cases.Tests.Sla.Oracle;
using NodaTime;

namespace EventCase.Cases.Tests.Sla;

/// <summary>
/// The SLA clock checked against a minute-by-minute oracle (<see cref="NaiveSlaClock"/>) on seeded generated cases in
/// zones with clock changes at 02:00, at midnight, of half an hour, and with offsets of :30 and :45.
/// </summary>
public sealed class SlaClockOracleTests
{
    private const int CasesPerZone = 80;

    public static TheoryData<string> Zones() => [.. SlaScenarios.Zones];

    [Theory]
    [MemberData(nameof(Zones))]
    public void Every_reading_of_a_clock_agrees_with_the_minute_by_minute_oracle(string zoneId)
    {
        var scenarios = new SlaScenarios(Seed(zoneId));
        var checkedReadings = 0;
        for (var i = 0; i < CasesPerZone; i++)
        {
            var scenario = scenarios.Next(zoneId);
            var oracle = scenario.Oracle();
            var calendars = scenario.Calendars.ToProduct();
            var timeline = SlaTimeline.FromHistory(scenario.Events);
            foreach (var now in Probes(scenario, oracle.Due))
            {
                var expected = oracle.At(now);
                var actual = SlaClock.Compute(scenario.Target, calendars, timeline, now);
                AssertSame(expected, actual, $"{scenario} at {now}");
                checkedReadings++;
            }
        }

        Assert.True(checkedReadings > CasesPerZone * 5);
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void A_clock_read_at_a_past_instant_on_the_calendars_known_then_agrees_with_the_oracle(string zoneId)
    {
        var scenarios = new SlaScenarios(Seed(zoneId) + 1);
        for (var i = 0; i < CasesPerZone / 2; i++)
        {
            var scenario = scenarios.Next(zoneId);
            var calendars = scenario.Calendars.ToProduct();
            foreach (var then in scenario.Events.Select(e => e.At).Concat(scenario.Calendars.Changes.Skip(1).Select(c => c.From)).Distinct())
            {
                // The case as it stood then: the events up to it, on the calendars set by then.
                var events = scenario.Events.TakeWhile(e => e.At <= then).ToList();
                if (events.Count == 0)
                {
                    continue;
                }

                var pauses = scenario.Pauses.Where(p => p.Start <= then).Select(p => (p.Start, p.End is { } end && end <= then ? p.End : null)).ToList();
                var stopped = scenario.Stopped is { } stop && stop <= then ? stop : (Instant?)null;
                var oracle = (scenario with { Pauses = pauses, Stopped = stopped }).Oracle(scenario.Calendars.KnownAt(then));

                var actual = SlaClock.Compute(scenario.Target, calendars.AsOf(then), SlaTimeline.FromHistory(events), then);

                AssertSame(oracle.At(then), actual, $"{scenario} as of {then}");
            }
        }
    }

    private static int Seed(string zoneId) => zoneId.Aggregate(17, (h, c) => unchecked((h * 31) + c));

    private static IEnumerable<Instant> Probes(SlaScenario scenario, Instant? due)
    {
        var probes = scenario.Probes.ToList();
        if (due is { } d)
        {
            probes.AddRange([d - Duration.FromMinutes(1), d, d + Duration.FromMinutes(1)]);
        }

        return probes.Distinct().Order();
    }

    internal static void AssertSame(OracleReading expected, SlaClock actual, string context)
    {
        var got = new OracleReading(actual.Elapsed, actual.Remaining, actual.Due, actual.BreachedAt, actual.IsPaused);
        Assert.True(expected == got, $"{context}\nexpected {expected}\n     got {got}");
    }
}
