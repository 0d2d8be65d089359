using System.Globalization;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Cancelling;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Closing;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.StartingWork;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Projections.Testing;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>
/// Case histories of two agencies drawn from a seeded random source, and the published statistics worked out from them
/// with no product code but NodaTime's time zone rules. Santiago (America/Santiago) changes its clocks at midnight:
/// 7 September 2025 starts at 01:00 and 4 April 2026 lasts 25 hours (its last hour comes twice); it works Monday to
/// Friday 08:30–13:00 and 14:00–17:30, with Chile's holidays. Valparaíso (America/Punta_Arenas, no clock changes,
/// 09:00–18:00) receives Santiago's transfers. Cases go through every lifecycle event (assignment, reassignment, work,
/// waits on the citizen, escalation, priority, notes, resolution, feedback, reopening, closing, cancellation,
/// duplicates with the original's side, transfers with the receiving case); about one event in ten lands exactly on a
/// local midnight (the start of a day, week or month), many on the days the clocks change; some cases are still open
/// when the reports end, one service has cases only years before them.
/// </summary>
internal static class StatisticsOracle
{
    public const string Santiago = "santiago";

    public const string Valparaiso = "valparaiso";

    public static readonly BusinessCalendar SantiagoCalendar = BusinessCalendar.Weekdays(
        "America/Santiago",
        [WorkingPeriod.Of(8, 30, 13, 0), WorkingPeriod.Of(14, 0, 17, 30)],
        [
            new LocalDate(2025, 8, 15), new LocalDate(2025, 9, 18), new LocalDate(2025, 9, 19), new LocalDate(2025, 10, 31),
            new LocalDate(2025, 12, 8), new LocalDate(2025, 12, 25), new LocalDate(2026, 1, 1), new LocalDate(2026, 4, 3),
            new LocalDate(2026, 5, 1), new LocalDate(2026, 5, 21),
        ]);

    public static readonly BusinessCalendar ValparaisoCalendar = BusinessCalendar.Weekdays("America/Punta_Arenas", [WorkingPeriod.Of(9, 0, 18, 0)]);

    public static readonly IAgencyCalendars Calendars = new AgencyCalendars(
        new Dictionary<string, BusinessCalendar> { [Santiago] = SantiagoCalendar, [Valparaiso] = ValparaisoCalendar });

    /// <summary>The services and their targets: business hours, or calendar days.</summary>
    private static readonly (string Code, SlaTarget Target)[] Services =
    [
        ("bache", SlaTarget.BusinessHours(24)),
        ("grafiti", SlaTarget.BusinessHours(12)),
        ("luminaria", SlaTarget.CalendarDays(3)),
        ("ruido", SlaTarget.BusinessHours(4)),
        ("arbol", SlaTarget.CalendarDays(10)),
    ];

    /// <summary>Dates whose midnights the generator favours: clock changes, month and week starts, holidays.</summary>
    private static readonly LocalDate[] SpecialDates =
    [
        new(2025, 9, 1), new(2025, 9, 6), new(2025, 9, 7), new(2025, 9, 8), new(2025, 10, 1), new(2025, 12, 29), new(2026, 1, 1),
        new(2026, 3, 30), new(2026, 4, 1), new(2026, 4, 4), new(2026, 4, 5), new(2026, 4, 6), new(2026, 5, 1),
    ];

    /// <summary>Every case's events, in order, by agency.</summary>
    public static (IReadOnlyList<IReadOnlyList<CaseEvent>> Cases, IReadOnlyList<CaseEvent> Merges) Generate(int count)
    {
        var random = new Random(20250907);
        var zone = SantiagoCalendar.Zone;
        var first = zone.AtStartOfDay(new LocalDate(2025, 8, 1)).ToInstant();
        var span = zone.AtStartOfDay(new LocalDate(2026, 5, 20)).ToInstant() - first;
        var cases = new List<IReadOnlyList<CaseEvent>>();
        var merges = new List<CaseEvent>();
        var receiving = 0;
        for (var n = 1; n <= count; n++)
        {
            Instant opened;
            if (random.NextDouble() < 0.12)
            {
                opened = zone.AtStartOfDay(random.NextDouble() < 0.5
                    ? SpecialDates[random.Next(SpecialDates.Length)]
                    : (first + Duration.FromSeconds(random.NextInt64((long)span.TotalSeconds))).InZone(zone).Date).ToInstant();
            }
            else
            {
                opened = first + Duration.FromSeconds(random.NextInt64((long)span.TotalSeconds));
            }

            var (code, target) = Services[random.Next(Services.Length)];
            var id = "scl-" + n.ToString("D5", CultureInfo.InvariantCulture);
            var events = Case(random, Santiago, id, new CaseNumber("SCL", 2026, n), code, target, opened, null, out var transfer);
            cases.Add(events);
            if (events.OfType<CaseMarkedDuplicate>().SingleOrDefault() is { } duplicate && n > 1)
            {
                merges.Add(new DuplicateCaseMerged(duplicate.OriginalCaseId, new CaseId(id), null, duplicate.At));
            }

            if (transfer is not null)
            {
                receiving++;
                var receivingId = "vap-" + receiving.ToString("D5", CultureInfo.InvariantCulture);
                cases.Add(Case(
                    random, Valparaiso, receivingId, new CaseNumber("VAP", 2026, receiving), code, SlaTarget.BusinessHours(18), transfer.At,
                    new TransferredFrom(new AgencyId(Santiago), new CaseId(id), new CaseNumber("SCL", 2026, n)), out _));
            }
        }

        // A service with cases only long before any report: it still has a row, all zero, in every period.
        for (var n = 1; n <= 3; n++)
        {
            var id = new CaseId("old-" + n.ToString(CultureInfo.InvariantCulture));
            var at = Instant.FromUtc(2023, 6, n, 15, 0);
            cases.Add(
            [
                Opened(id, Santiago, new CaseNumber("SCL", 2023, n), "antiguo", SlaTarget.BusinessHours(8), at, null),
                new CaseAssigned(id, new Assignment(new TeamId("cuadrilla-1")), at + Duration.FromHours(1)),
                new CaseResolved(id, "repaired", "Done.", at + Duration.FromHours(20)),
                new CaseClosed(id, at + Duration.FromDays(3)),
            ]);
        }

        return (cases, merges);
    }

    private static CaseOpened Opened(CaseId id, string agency, CaseNumber number, string service, SlaTarget target, Instant at, TransferredFrom? from) => new(
        id, number, new AgencyId(agency), new ServiceCode(service), "Something is broken",
        new CitizenContact("citizen-" + id.Value, "A. Citizen"), new CaseLocation(new GeoPoint(-33.45, -70.66), "Alameda 1"), Channel.Web,
        new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, target, at, from);

    /// <summary>One case's history: a walk through the lifecycle from <paramref name="opened"/>.</summary>
    private static List<CaseEvent> Case(
        Random random, string agency, string caseId, CaseNumber number, string service, SlaTarget target, Instant opened, TransferredFrom? from,
        out CaseTransferred? transfer)
    {
        var zone = agency == Santiago ? SantiagoCalendar.Zone : ValparaisoCalendar.Zone;
        var id = new CaseId(caseId);
        var channel = (Channel)random.Next(6);
        var at = opened;
        var events = new List<CaseEvent> { Opened(id, agency, number, service, target, opened, from) with { Channel = channel } };
        transfer = null;
        Instant Later(double maxHours)
        {
            if (random.NextDouble() < 0.1)
            {
                // Exactly the next local midnight, or one a few days on: the start of a day, and sometimes of a week or a month.
                return at = zone.AtStartOfDay(at.InZone(zone).Date.PlusDays(1 + random.Next(4))).ToInstant();
            }

            return at += Duration.FromSeconds(1 + random.NextInt64((long)(maxHours * 3600)));
        }

        Assignment Team() => new(new TeamId("cuadrilla-" + random.Next(1, 4).ToString(CultureInfo.InvariantCulture)), random.NextDouble() < 0.5 ? null : new AgentId("agente-" + random.Next(1, 9).ToString(CultureInfo.InvariantCulture)));
        var status = CaseStatus.Open;
        Assignment? team = null;
        var priority = CasePriority.Normal;
        var level = 0;
        var hasFeedback = false;
        for (var step = 0; step < 14; step++)
        {
            var roll = random.Next(100);
            switch (status)
            {
                case CaseStatus.Open when roll < 60:
                    team = Team();
                    events.Add(new CaseAssigned(id, team, Later(30)));
                    status = CaseStatus.Assigned;
                    break;
                case CaseStatus.Open when roll < 66:
                    events.Add(new CaseCancelled(id, "Withdrawn", Later(60)));
                    return events;
                case CaseStatus.Open when roll < 70 && caseId != "scl-00001":
                    events.Add(new CaseMarkedDuplicate(id, new CaseId("scl-00001"), null, Later(60)));
                    return events;
                case CaseStatus.Open when roll < 75 && agency == Santiago:
                    transfer = new CaseTransferred(id, new AgencyId(Santiago), new AgencyId(Valparaiso), "Not ours", Later(40));
                    events.Add(transfer);
                    return events;
                case CaseStatus.Open when roll < 85 && level < 3:
                    events.Add(new CaseEscalated(id, level, level + 1, "Urgent", Later(20)));
                    level++;
                    break;
                case CaseStatus.Open when roll < 90:
                    events.Add(new NoteAdded(id, NoteVisibility.Internal, "Looked at it", Later(10)));
                    break;
                case CaseStatus.Open when roll < 94:
                    return events;
                case CaseStatus.Assigned when roll < 40:
                    events.Add(new WorkStarted(id, Later(48)));
                    status = CaseStatus.InProgress;
                    break;
                case CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen when roll < (status == CaseStatus.InProgress ? 50 : 62):
                    events.Add(new CaseResolved(id, "repaired", "Done.", Later(status == CaseStatus.AwaitingCitizen ? 200 : 120)));
                    status = CaseStatus.Resolved;
                    break;
                case CaseStatus.Assigned when roll < 70:
                    var to = Team();
                    if (to != team)
                    {
                        events.Add(new CaseReassigned(id, team!, to, Later(24)));
                        team = to;
                    }

                    break;
                case CaseStatus.Assigned or CaseStatus.InProgress when roll < 76:
                    events.Add(new CaseUnassigned(id, team!, "Wrong crew", Later(24)));
                    team = null;
                    status = CaseStatus.Open;
                    break;
                case CaseStatus.Assigned when roll < 82:
                    var next = priority == CasePriority.High ? CasePriority.Low : priority + 1;
                    events.Add(new PriorityChanged(id, priority, next, "Worse", Later(24)));
                    priority = next;
                    break;
                case CaseStatus.InProgress when roll < 72:
                    events.Add(new InformationRequested(id, "Where exactly?", Channel.Email, Later(30)));
                    status = CaseStatus.AwaitingCitizen;
                    break;
                case CaseStatus.AwaitingCitizen when roll < 50:
                    events.Add(new InformationReceived(id, "Here.", Channel.Email, Later(150)));
                    status = CaseStatus.InProgress;
                    break;
                case CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen when roll < 80 && agency == Santiago:
                    transfer = new CaseTransferred(id, new AgencyId(Santiago), new AgencyId(Valparaiso), "Not ours", Later(40));
                    events.Add(transfer);
                    return events;
                case CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen when roll < 84:
                    events.Add(new CaseCancelled(id, "Withdrawn", Later(60)));
                    return events;
                case CaseStatus.Assigned or CaseStatus.InProgress or CaseStatus.AwaitingCitizen when roll < 92:
                    return events;
                case CaseStatus.Resolved when roll < 35:
                    events.Add(new CaseClosed(id, Later(150)));
                    status = CaseStatus.Closed;
                    break;
                case CaseStatus.Resolved when roll < 55:
                    events.Add(new CaseReopened(id, "Still broken", Later(100)));
                    status = team is null ? CaseStatus.Open : CaseStatus.Assigned;
                    break;
                case CaseStatus.Resolved or CaseStatus.Closed when roll < 80 && !hasFeedback:
                    events.Add(new FeedbackRecorded(id, 1 + random.Next(5), "Thanks", Later(48)));
                    hasFeedback = true;
                    break;
                case CaseStatus.Resolved when roll < 90:
                    return events;
                case CaseStatus.Closed:
                    return events;
            }
        }

        return events;
    }

    // ---- The oracle: the definitions of docs/read-models.md, worked out from the events alone. ----

    private sealed record Facts(
        string Service, Instant Opened, Instant? FirstResolved, Instant? Closed, bool Reopened, int? Satisfaction, double? BusinessHours, bool? MetSla,
        List<(Instant From, Instant? Until)> OpenStretches);

    /// <summary>The rows the report should have: every service of the agency's cases, every period, keyed by service then period.</summary>
    public static List<TransparencyStatisticsRow> Expected(
        string agency, BusinessCalendar calendar, IEnumerable<IReadOnlyList<CaseEvent>> allCases, StatisticsGranularity granularity, LocalDate from, LocalDate to)
    {
        var cases = allCases.Where(c => ((CaseOpened)c[0]).Agency.Value == agency).Select(c => Fold(calendar, c)).ToList();
        var rows = new List<TransparencyStatisticsRow>();
        foreach (var service in cases.Select(c => c.Service).Distinct().Order(StringComparer.Ordinal))
        {
            var mine = cases.Where(c => c.Service == service).ToList();
            foreach (var (start, end) in Periods(granularity, from, to))
            {
                var a = calendar.Zone.AtStartOfDay(start).ToInstant();
                var b = calendar.Zone.AtStartOfDay(end).ToInstant();
                bool In(Instant? t) => t is { } x && a <= x && x < b;
                var resolved = mine.Where(c => In(c.FirstResolved)).ToList();
                var wall = resolved.Select(c => (c.FirstResolved!.Value - c.Opened).TotalHours).ToList();
                var business = resolved.Select(c => c.BusinessHours!.Value).ToList();
                var scores = resolved.Where(c => c.Satisfaction is not null).Select(c => (double)c.Satisfaction!.Value).ToList();
                rows.Add(new TransparencyStatisticsRow(
                    agency, service, granularity, start, end,
                    mine.Count(c => In(c.Opened)),
                    resolved.Count,
                    mine.Count(c => In(c.Closed)),
                    // Open just before the end: entered an open status before it and had not left before it.
                    mine.Count(c => c.OpenStretches.Any(s => s.From < b && (s.Until is null || s.Until >= b))),
                    Percentile(wall, 0.5), Percentile(wall, 0.9), Percentile(business, 0.5), Percentile(business, 0.9),
                    resolved.Count == 0 ? null : resolved.Count(c => c.MetSla == true) / (double)resolved.Count,
                    resolved.Count == 0 ? null : resolved.Count(c => c.Reopened) / (double)resolved.Count,
                    scores.Count == 0 ? null : scores.Sum() / scores.Count,
                    scores.Count));
            }
        }

        return rows;
    }

    private static IEnumerable<(LocalDate Start, LocalDate End)> Periods(StatisticsGranularity granularity, LocalDate from, LocalDate to)
    {
        var start = from;
        while (granularity == StatisticsGranularity.Week && start.DayOfWeek != IsoDayOfWeek.Monday)
        {
            start = start.PlusDays(-1);
        }

        if (granularity == StatisticsGranularity.Month)
        {
            start = new LocalDate(from.Year, from.Month, 1);
        }

        for (; start <= to;)
        {
            var end = granularity switch
            {
                StatisticsGranularity.Day => start.PlusDays(1),
                StatisticsGranularity.Week => start.PlusDays(7),
                _ => start.PlusMonths(1),
            };
            yield return (start, end);
            start = end;
        }
    }

    private static Facts Fold(BusinessCalendar calendar, IReadOnlyList<CaseEvent> events)
    {
        var opened = (CaseOpened)events[0];
        var stretches = new List<(Instant From, Instant? Until)> { (opened.At, null) };
        var open = true;
        Instant? firstResolved = null;
        Instant? closed = null;
        var reopened = false;
        int? satisfaction = null;
        double? business = null;
        bool? met = null;
        var pauses = new List<(Instant From, Instant Until)>();
        Instant? waitingSince = null;
        foreach (var e in events.Skip(1))
        {
            switch (e)
            {
                case InformationRequested when firstResolved is null:
                    waitingSince = e.At;
                    break;
                case InformationReceived when waitingSince is { } since && firstResolved is null:
                    pauses.Add((since, e.At));
                    waitingSince = null;
                    break;
                case CaseResolved when firstResolved is null:
                    firstResolved = e.At;
                    if (waitingSince is { } s)
                    {
                        pauses.Add((s, e.At));
                    }

                    business = WorkingIntervals(calendar, opened.At, e.At).Sum(i => (i.Until - i.From).TotalHours);
                    met = MetSla(calendar, opened.Sla, opened.At, e.At, pauses);
                    break;
                case CaseReopened:
                    reopened = true;
                    break;
                case CaseClosed:
                    closed = e.At;
                    break;
                case FeedbackRecorded feedback:
                    satisfaction = feedback.Satisfaction;
                    break;
            }

            var nowOpen = open
                ? e is not (CaseResolved or CaseCancelled or CaseMarkedDuplicate or CaseTransferred)
                : e is CaseReopened;
            if (open && !nowOpen)
            {
                stretches[^1] = (stretches[^1].From, e.At);
            }
            else if (!open && nowOpen)
            {
                stretches.Add((e.At, null));
            }

            open = nowOpen;
        }

        return new Facts(opened.Service.Value, opened.At, firstResolved, closed, reopened, satisfaction, business, met, stretches);
    }

    /// <summary>The working time between two instants: each working period of each working day, as instants in the zone.</summary>
    private static List<(Instant From, Instant Until)> WorkingIntervals(BusinessCalendar calendar, Instant from, Instant until)
    {
        var zone = calendar.Zone;
        var intervals = new List<(Instant, Instant)>();
        for (var day = from.InZone(zone).Date.PlusDays(-1); day <= until.InZone(zone).Date.PlusDays(1); day = day.PlusDays(1))
        {
            if (calendar.Holidays.Contains(day) || day.DayOfWeek is IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday)
            {
                continue;
            }

            foreach (var (start, end) in calendar == StatisticsOracle.SantiagoCalendar
                ? new[] { (new LocalTime(8, 30), new LocalTime(13, 0)), (new LocalTime(14, 0), new LocalTime(17, 30)) }
                : [(new LocalTime(9, 0), new LocalTime(18, 0))])
            {
                var a = Max(zone.AtLeniently(day + start).ToInstant(), from);
                var b = Min(zone.AtLeniently(day + end).ToInstant(), until);
                if (a < b)
                {
                    intervals.Add((a, b));
                }
            }
        }

        return intervals;
    }

    /// <summary>
    /// Whether the first resolution met the target: the counted time (working time, or all time for calendar-day
    /// targets, less the waits on the citizen) ran out at a due instant; the resolution is on time at it or before it,
    /// or while a wait that began at it still lasts.
    /// </summary>
    private static bool MetSla(BusinessCalendar calendar, SlaTarget target, Instant opened, Instant resolved, List<(Instant From, Instant Until)> pauses)
    {
        var counted = target.Kind == SlaTargetKind.BusinessHours ? WorkingIntervals(calendar, opened, resolved) : [(opened, resolved)];
        var allowed = target.Kind == SlaTargetKind.BusinessHours
            ? target.Amount
            : calendar.Zone.AtLeniently(opened.InZone(calendar.Zone).LocalDateTime.PlusDays(target.Days)).ToInstant() - opened;
        var used = Duration.Zero;
        foreach (var (from, until) in counted.SelectMany(i => Subtract(i, pauses)))
        {
            if (used + (until - from) >= allowed)
            {
                var due = from + (allowed - used);
                // Past the due instant, the case is late unless it waited on the citizen from then until resolved.
                return resolved <= due || pauses.Any(p => p.From <= due && p.Until >= resolved);
            }

            used += until - from;
        }

        return true;
    }

    private static IEnumerable<(Instant From, Instant Until)> Subtract((Instant From, Instant Until) interval, List<(Instant From, Instant Until)> pauses)
    {
        var pieces = new List<(Instant From, Instant Until)> { interval };
        foreach (var pause in pauses)
        {
            var rest = new List<(Instant From, Instant Until)>();
            foreach (var piece in pieces)
            {
                rest.Add((piece.From, Min(piece.Until, pause.From)));
                rest.Add((Max(piece.From, pause.Until), piece.Until));
            }

            pieces = [.. rest.Where(p => p.From < p.Until)];
        }

        return pieces.OrderBy(p => p.From);
    }

    private static Instant Max(Instant a, Instant b) => a > b ? a : b;

    private static Instant Min(Instant a, Instant b) => a < b ? a : b;

    /// <summary>Linear interpolation between closest ranks.</summary>
    private static double? Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var rank = p * (values.Count - 1);
        var low = (int)Math.Floor(rank);
        return values[low] + ((values[Math.Min(low + 1, values.Count - 1)] - values[low]) * (rank - low));
    }
}

/// <summary>The generated cases of <see cref="StatisticsOracle"/> appended and the case facts projection caught up.</summary>
public sealed class OracleCasesFixture : DatabaseFixture
{
    private ProjectionTester? _tester;

    public ProjectionTester Tester => _tester ?? throw new InvalidOperationException("Not initialized.");

    public IReadOnlyList<IReadOnlyList<CaseEvent>> Cases { get; private set; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        var (cases, merges) = StatisticsOracle.Generate(1500);
        Cases = cases;
        _tester = await ProjectionTester.CreateAsync(DataSource, ScriptedStoreFixture.Registry(), new CaseFactsProjection(StatisticsOracle.Calendars), cancellationToken: cancellationToken);
        foreach (var batch in cases.Chunk(300))
        {
            await _tester.Store.AppendToStreamsAsync(
                [.. batch.Select(events => new StreamAppend(
                    new StreamName(((CaseOpened)events[0]).Agency.Value, events[0].CaseId.Value), "case", ExpectedVersion.NoStream,
                    [.. events.Select(e => new NewEvent(Guid.NewGuid(), e, ScriptedCases.Alice))]))],
                cancellationToken);
        }

        foreach (var merge in merges)
        {
            await _tester.Store.AppendToStreamsAsync(
                [new StreamAppend(new StreamName(StatisticsOracle.Santiago, merge.CaseId.Value), "case", ExpectedVersion.Any, [new NewEvent(Guid.NewGuid(), merge, ScriptedCases.Alice)])],
                cancellationToken);
        }

        await _tester.CatchUpAsync(cancellationToken);
    }
}
