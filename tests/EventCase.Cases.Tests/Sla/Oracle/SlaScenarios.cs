using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using NodaTime;

namespace EventCase.Cases.Tests.Sla.Oracle;

/// <summary>
/// One generated case: the calendars it is counted on, its target, its events (for the product) and the same history
/// as the oracle reads it (its own pauses and stop, folded here from the steps, not from the events).
/// </summary>
internal sealed record SlaScenario(
    int Number,
    NaiveCalendarHistory Calendars,
    bool BusinessHours,
    int Amount,
    IReadOnlyList<CaseEvent> Events,
    IReadOnlyList<(Instant Start, Instant? End)> Pauses,
    Instant? Stopped,
    IReadOnlyList<Instant> Probes)
{
    public Instant Started => Events[0].At;

    public SlaTarget Target => BusinessHours ? SlaTarget.BusinessTime(Duration.FromMinutes(Amount)) : SlaTarget.CalendarDays(Amount);

    public NaiveSlaClock Oracle() => Oracle(Calendars);

    public NaiveSlaClock Oracle(NaiveCalendarHistory calendars) => BusinessHours
        ? NaiveSlaClock.BusinessMinutes(calendars, Amount, Started, Pauses, Stopped)
        : NaiveSlaClock.CalendarDays(calendars, Amount, Started, Pauses, Stopped);

    public override string ToString() =>
        $"scenario {Number}: target {Target} on {Calendars}; events {string.Join(", ", Events.Select(e => $"{e.GetType().Name}@{e.At}"))}";
}

/// <summary>
/// Seeded generator of cases that aim at the corners: cases opened, paused and resumed at opening and closing times, at
/// midnight, on holidays and around the zone's clock changes; working periods that begin or end inside a gap or an
/// overlap; holidays on weekends, in runs, at the year's end and on 29 February; calendars changed while the case runs.
/// </summary>
internal sealed class SlaScenarios(int seed)
{
    public static readonly string[] Zones =
    [
        "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "America/Havana", "Asia/Kathmandu",
        "America/St_Johns", "Pacific/Chatham",
    ];

    private static readonly Duration Minute = Duration.FromMinutes(1);
    private readonly Random _random = new(seed);
    private int _count;

    private static readonly int[] Standard = [9 * 60, 17 * 60];

    public SlaScenario Next(string zoneId)
    {
        var number = _count++;
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        var anchor = Anchor(zone);
        var anchorDate = anchor.InZone(zone).Date;
        var first = new NaiveCalendar(Spec(zoneId, anchor));
        var changes = new List<(Instant, NaiveCalendar)>();
        if (_random.NextDouble() < 0.3)
        {
            var at = anchor + (Minute * _random.Next(-2 * 1440, 8 * 1440));
            for (var i = _random.Next(1, 3); i > 0; i--)
            {
                var changedZone = _random.NextDouble() < 0.3 ? Zones[_random.Next(Zones.Length)] : zoneId;
                changes.Add((at, new NaiveCalendar(Spec(changedZone, at))));
                at += Minute * _random.Next(1, 6 * 1440);
            }
        }

        var calendars = new NaiveCalendarHistory(first, [.. changes]);
        var marks = Marks(calendars, anchorDate);

        var businessHours = _random.NextDouble() < 0.8;
        var weekly = calendars.Changes.Min(c => c.Calendar.Spec.Periods.Sum(p => p.EndMinute - p.StartMinute));
        var amount = businessHours
            ? Math.Min(_random.Next(4) switch { 0 => _random.Next(1, 240), 1 => 15 * _random.Next(1, 160), 2 => 60 * _random.Next(1, 41), _ => _random.Next(1, 3000) }, 3 * weekly)
            : _random.Next(1, 8);

        var start = Pick(marks, anchor - Duration.FromDays(2), anchor + Duration.FromDays(3));
        var target = businessHours ? SlaTarget.BusinessTime(Duration.FromMinutes(amount)) : SlaTarget.CalendarDays(amount);
        var (events, pauses, stopped) = History(start, marks, target, pausesSoFar => businessHours
            ? NaiveSlaClock.BusinessMinutes(calendars, amount, start, pausesSoFar, null).Due
            : NaiveSlaClock.CalendarDays(calendars, amount, start, pausesSoFar, null).Due);
        var last = events[^1].At;
        var probes = new List<Instant> { start - Duration.FromHours(1), start };
        foreach (var e in events)
        {
            probes.Add(e.At);
            probes.Add(e.At + Minute);
        }

        for (var i = 0; i < 4; i++)
        {
            probes.Add(Pick(marks, start, last + Duration.FromDays(8)));
        }

        return new SlaScenario(number, calendars, businessHours, amount, events, pauses, stopped, probes);
    }

    /// <summary>A calendar of the kind the cases get, and an instant near which it is worth looking at.</summary>
    public (NaiveCalendar Calendar, Instant Near) NextCalendar(string zoneId)
    {
        var anchor = Anchor(DateTimeZoneProviders.Tzdb[zoneId]);
        return (new NaiveCalendar(Spec(zoneId, anchor)), anchor);
    }

    /// <summary>An instant to centre the case on: a clock change of the zone, the turn of a year, 29 February, or any day.</summary>
    private Instant Anchor(DateTimeZone zone)
    {
        var transitions = zone.GetZoneIntervals(Instant.FromUtc(2024, 1, 1, 0, 0), Instant.FromUtc(2029, 1, 1, 0, 0))
            .Where(i => i.HasStart && i.Start > Instant.FromUtc(2024, 1, 1, 0, 0))
            .Select(i => i.Start)
            .ToList();
        var local = _random.Next(10) switch
        {
            < 6 when transitions.Count > 0 => transitions[_random.Next(transitions.Count)].InZone(zone).LocalDateTime,
            6 => new LocalDateTime(2026 + _random.Next(2), 12, 31, 12, 0),
            7 => new LocalDateTime(_random.Next(2) == 0 ? 2024 : 2028, 2, 29, 12, 0),
            _ => new LocalDate(2026, 1, 1).PlusDays(_random.Next(365)).At(new LocalTime(12, 0)),
        };
        return zone.AtLeniently(local).ToInstant();
    }

    private OracleCalendarSpec Spec(string zoneId, Instant near)
    {
        var zone = DateTimeZoneProviders.Tzdb[zoneId];
        // Local times of day where this zone's clocks change near the case: working periods are made to begin and end
        // in and around the gaps and overlaps.
        var edges = zone.GetZoneIntervals(near - Duration.FromDays(60), near + Duration.FromDays(60))
            .Where(i => i.HasStart)
            .SelectMany(i => new[] { (i.Start - Minute).InZone(zone).TimeOfDay, i.Start.InZone(zone).TimeOfDay })
            .Select(t => (t.Hour * 60) + t.Minute)
            .SelectMany(m => new[] { m - 30, m - 15, m, m + 1, m + 15, m + 30, m + 45, m + 60 })
            .Select(m => ((m % 1440) + 1440) % 1440)
            .Distinct()
            .ToList();
        var periods = new List<OraclePeriod>();
        // Clocks mostly change on a weekend night: the day of the change (and the one before, for changes at midnight)
        // gets working periods around the change more often than not.
        var nearDay = near.InZone(zone).DayOfWeek;
        for (var day = IsoDayOfWeek.Monday; day <= IsoDayOfWeek.Sunday; day++)
        {
            var changeDay = day == nearDay || day == (nearDay == IsoDayOfWeek.Monday ? IsoDayOfWeek.Sunday : nearDay - 1);
            if (_random.NextDouble() < (changeDay ? 0.1 : day >= IsoDayOfWeek.Saturday ? 0.5 : 0.15))
            {
                continue;
            }

            int[] bounds = _random.Next(changeDay ? 3 : 0, 8) switch
            {
                0 => Standard,
                1 => [8 * 60, 12 * 60, 13 * 60, 17 * 60],
                2 => [0, 1440],
                3 => [0, 6 * 60, 22 * 60, 1440],
                _ => RandomBounds(edges),
            };
            for (var i = 0; i + 1 < bounds.Length; i += 2)
            {
                periods.Add(new OraclePeriod(day, bounds[i], bounds[i + 1]));
            }
        }

        if (periods.Count == 0)
        {
            periods.Add(new OraclePeriod(IsoDayOfWeek.Monday, Standard[0], Standard[1]));
        }

        var date = near.InZone(zone).Date;
        var holidays = new HashSet<LocalDate>();
        for (var i = _random.Next(0, 5); i > 0; i--)
        {
            var holiday = date.PlusDays(_random.Next(-4, 30));
            for (var run = _random.Next(1, 4); run > 0; run--, holiday = holiday.PlusDays(1))
            {
                holidays.Add(holiday);
            }
        }

        if (_random.NextDouble() < 0.3)
        {
            holidays.Add(date);
        }

        if (_random.NextDouble() < 0.3)
        {
            holidays.Add(new LocalDate(date.Year, 12, 31));
            holidays.Add(new LocalDate(date.Year + 1, 1, 1));
        }

        if (_random.NextDouble() < 0.3 && CalendarSystem.Iso.IsLeapYear(date.Year))
        {
            holidays.Add(new LocalDate(date.Year, 2, 29));
        }

        return new OracleCalendarSpec(zoneId, periods, [.. holidays]);
    }

    private int[] RandomBounds(List<int> edges)
    {
        var count = 2 * _random.Next(1, 4);
        var chosen = new SortedSet<int>();
        while (chosen.Count < count)
        {
            chosen.Add(_random.NextDouble() < 0.7 && edges.Count > 0 ? edges[_random.Next(edges.Count)] : 15 * _random.Next(0, 97));
        }

        var bounds = chosen.ToArray();
        // 0 can only start a period and 1440 only end one; both are fine where they fall after sorting.
        return bounds;
    }

    /// <summary>Instants worth putting events on: openings and closings (and a minute either side), midnights, clock changes.</summary>
    private static List<Instant> Marks(NaiveCalendarHistory calendars, LocalDate around)
    {
        var marks = new List<Instant>();
        foreach (var (_, calendar) in calendars.Changes)
        {
            for (var date = around.PlusDays(-5); date <= around.PlusDays(30); date = date.PlusDays(1))
            {
                marks.Add(calendar.FirstInstantAtOrAfter(date.AtMidnight()));
                foreach (var (start, end) in calendar.StretchesOn(date))
                {
                    marks.AddRange([start - Minute, start, start + Minute, end - Minute, end, end + Minute]);
                }
            }

            var zone = calendar.Zone;
            var from = zone.AtLeniently(around.PlusDays(-5).AtMidnight()).ToInstant();
            foreach (var interval in zone.GetZoneIntervals(from, from + Duration.FromDays(36)).Where(i => i.HasStart && i.Start > from))
            {
                marks.AddRange([interval.Start - Duration.FromMinutes(30), interval.Start - Minute, interval.Start, interval.Start + Minute, interval.Start + Duration.FromMinutes(30)]);
            }
        }

        marks.Sort();
        return marks;
    }

    /// <summary>A whole-minute instant in [from, to]: half the time one of the marks, otherwise any minute.</summary>
    private Instant Pick(List<Instant> marks, Instant from, Instant to)
    {
        var inRange = marks.Where(m => m >= from && m <= to).ToList();
        if (inRange.Count > 0 && _random.NextDouble() < 0.5)
        {
            return inRange[_random.Next(inRange.Count)];
        }

        var minutes = (int)Math.Max(0, (to - from).TotalMinutes);
        var whole = Instant.FromUnixTimeSeconds(from.ToUnixTimeSeconds() / 60 * 60);
        return whole + (Minute * _random.Next(0, minutes + 1));
    }

    private enum Stage { Running, Awaiting, Resolved, Final }

    private (List<CaseEvent> Events, List<(Instant, Instant?)> Pauses, Instant? Stopped) History(
        Instant start, List<Instant> marks, SlaTarget target, Func<IReadOnlyList<(Instant, Instant?)>, Instant?> dueWith)
    {
        var id = new CaseId($"case-{_count:000}");
        var events = new List<CaseEvent>
        {
            new CaseOpened(
                id, CaseNumber.Parse("BOS-2026-000102"), new AgencyId("boston"), new ServiceCode("pothole"), "A pothole", null, null, Channel.Web,
                new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, target, start),
        };
        var pauses = new List<(Instant Start, Instant? End)>();
        Instant? stopped = null;
        var stage = Stage.Running;
        var at = start;
        for (var steps = _random.Next(0, 8); steps > 0; steps--)
        {
            // Now and then two events at the same instant (asked and answered at once, resolved as it opened).
            at = _random.NextDouble() < 0.1 ? at : Pick(marks, at + Minute, at + Duration.FromDays(_random.Next(1, 5)));
            if (_random.NextDouble() < 0.2 && dueWith([.. pauses]) is { } due && due >= events[^1].At)
            {
                // On the deadline: resolved, asked, answered or closed exactly as the target runs out.
                at = due;
            }

            var roll = _random.Next(100);
            CaseEvent next;
            switch (stage)
            {
                case Stage.Running when roll < 35:
                    next = new InformationRequested(id, "Which side of the street?", Channel.Email, at);
                    pauses.Add((at, null));
                    stage = Stage.Awaiting;
                    break;
                case Stage.Running when roll < 65:
                    next = new CaseResolved(id, "repaired", "Filled", at);
                    pauses.Add((at, null));
                    stage = Stage.Resolved;
                    break;
                case Stage.Awaiting when roll < 40:
                    next = new InformationReceived(id, "The north side", Channel.Email, at);
                    pauses[^1] = (pauses[^1].Start, at);
                    stage = Stage.Running;
                    break;
                case Stage.Awaiting when roll < 55:
                    // Resolved while waiting on the citizen: the clock stays paused.
                    next = new CaseResolved(id, "repaired", "Filled", at);
                    stage = Stage.Resolved;
                    break;
                case Stage.Running when roll < 72:
                case Stage.Awaiting when roll < 62:
                    next = _random.Next(3) switch
                    {
                        0 => new CaseCancelled(id, "Withdrawn", at),
                        1 => new CaseTransferred(id, new AgencyId("boston"), new AgencyId("massdot"), "State highway", at),
                        _ => new CaseMarkedDuplicate(id, new CaseId("case-77"), CaseNumber.Parse("BOS-2026-000077"), at),
                    };
                    stopped = at;
                    stage = Stage.Final;
                    break;
                case Stage.Resolved when roll < 55:
                    next = new CaseReopened(id, "Still there", at);
                    pauses[^1] = (pauses[^1].Start, at);
                    stage = Stage.Running;
                    break;
                case Stage.Resolved when roll < 80:
                    next = new CaseClosed(id, at);
                    stopped = at;
                    stage = Stage.Final;
                    break;
                default:
                    // Escalation, priority and assignment do not change the target or the clock.
                    next = _random.Next(3) switch
                    {
                        0 => new CaseEscalated(id, 0, 1, "Near a school", at),
                        1 => new PriorityChanged(id, CasePriority.Normal, CasePriority.Urgent, "Bus route", at),
                        _ => new CaseAssigned(id, new Assignment(new TeamId("streets")), at),
                    };
                    break;
            }

            events.Add(next);
        }

        return (events, pauses, stopped);
    }
}
