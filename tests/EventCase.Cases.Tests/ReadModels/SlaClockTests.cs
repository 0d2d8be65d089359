using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

public sealed class SlaClockFixture : ScriptedStoreFixture
{
    protected override Projection CreateProjection() => new SlaClockProjection(BostonCalendars);
}

public sealed class SlaClockTests(SlaClockFixture fixture) : IClassFixture<SlaClockFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SlaClockQueries Queries => new(fixture.Tester.Store, BostonCalendars);

    [Fact]
    public async Task Every_scripted_clock_at_the_query_instant_matches_the_golden_file()
    {
        var views = new List<SlaClockView>();
        foreach (var id in Enumerable.Range(1, 9).Select(i => $"case-00{i}"))
        {
            views.Add((await Queries.GetAsync(Boston, id, Now, Ct))!);
        }

        await Golden.VerifyAsync(views, "clocks-at-now", fixture.Golden());
    }

    [Fact]
    public async Task Elapsed_and_remaining_business_time_are_computed_at_the_instant_asked_about()
    {
        // case-004 opened Thu 5 Mar 11:00 EST: by Fri 6 Mar 12:00 EST it has used Thu 6 h + Fri 3 h = 9 of 16 hours.
        var friday = await Queries.GetAsync(Boston, "case-004", Utc(3, 6, 17, 0), Ct);
        // case-002 waited on the citizen from Wed 4 Mar 10:00 EST to Mon 9 Mar 10:00 EDT: 11 h used, 5 h left on Mon.
        var paused = await Queries.GetAsync(Boston, "case-002", Utc(3, 6, 17, 0), Ct);

        Assert.Equal((Duration.FromHours(9), Duration.FromHours(7), false), (friday!.Elapsed, friday.Remaining, friday.IsPaused));
        Assert.Equal((Duration.FromHours(11), Duration.FromHours(5), true), (paused!.Elapsed, paused.Remaining, paused.IsPaused));
        Assert.Equal(Utc(3, 9, 19, 0), paused.Due);
        Assert.Null(paused.BreachedAt);
    }

    [Fact]
    public async Task Breaching_soon_lists_running_clocks_due_within_the_window_soonest_first()
    {
        const string agency = "somerville";
        var now = Utc(3, 23, 13, 0); // Monday 09:00 EDT
        var template = (CaseOpened)Events[0].Event;
        async Task OpenAsync(string id, Instant at, params object[] more)
        {
            var opened = template with { CaseId = new CaseId(id), Agency = new AgencyId(agency), At = at };
            await fixture.Tester.AppendAsync(new StreamName(agency, id), [opened, .. more]);
        }

        await OpenAsync("s1", Utc(3, 20, 13, 0)); // Fri 8 h + Mon 8 h: due Mon 17:00 EDT = now + 8 h
        await OpenAsync("s2", Utc(3, 20, 19, 0)); // Fri 2 h + Mon 8 h + Tue 6 h: due Tue 15:00 EDT = now + 30 h
        await OpenAsync("s3", Utc(3, 19, 13, 0)); // due Fri 20 Mar 17:00 EDT: breached before now
        await OpenAsync("s4", Utc(3, 20, 13, 0), new InformationRequested(new CaseId("s4"), "?", Channel.Email, Utc(3, 20, 14, 0)));
        await OpenAsync("s5", Utc(3, 20, 13, 0), new CaseResolved(new CaseId("s5"), "repaired", "Done", Utc(3, 20, 15, 0)));
        await fixture.Tester.CatchUpAsync(Ct);

        var eightHours = await Queries.BreachingWithinAsync(agency, Duration.FromHours(8), now, cancellationToken: Ct);
        var thirtyHours = await Queries.BreachingWithinAsync(agency, Duration.FromHours(30), now, cancellationToken: Ct);

        Assert.Equal(["s1"], eightHours.Select(v => v.CaseId));
        Assert.Equal(Duration.FromHours(8), eightHours[0].Remaining);
        Assert.Equal(["s1", "s2"], thirtyHours.Select(v => v.CaseId));
        Assert.Equal(Utc(3, 24, 19, 0), thirtyHours[1].Due);

        // At its due instant s1 is not breached yet: it is the next to breach, with nothing left.
        var atDue = await Queries.BreachingWithinAsync(agency, Duration.FromHours(1), Utc(3, 23, 21, 0), cancellationToken: Ct);
        Assert.Equal([("s1", Duration.Zero, (Instant?)null)], atDue.Select(v => (v.CaseId, v.Remaining, v.BreachedAt)));
    }
}
