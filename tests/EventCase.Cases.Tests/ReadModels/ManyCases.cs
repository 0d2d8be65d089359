using System.Globalization;
using EventCase.Cases.Assigning;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Projections.Testing;
using EventCase.Testing;
using NodaTime;
using static EventCase.Cases.Tests.ReadModels.ScriptedCases;

namespace EventCase.Cases.Tests.ReadModels;

/// <summary>
/// Ten thousand Boston cases of a hundred services, opened from October 2025 to May 2026 (the end of daylight saving time
/// on 2 November, a year end, its start on 8 March), drawn from a seeded random source so every run has the same ones:
/// resolved once or twice (reopened between), some at a local midnight exactly, some after waiting on the citizen,
/// closed, cancelled, marked duplicate or transferred; the case facts projection caught up on them.
/// </summary>
public sealed class ManyCasesFixture : DatabaseFixture
{
    public const int CaseCount = 10_000;

    public const int ServiceCount = 100;

    public static readonly LocalDate FirstDay = new(2025, 10, 1);

    public static readonly LocalDate LastDay = new(2026, 5, 31);

    private ProjectionTester? _tester;

    public ProjectionTester Tester => _tester ?? throw new InvalidOperationException("Not initialized.");

    /// <summary>Each case's events, in order.</summary>
    public IReadOnlyList<IReadOnlyList<CaseEvent>> Cases { get; } = Generate();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var cancellationToken = TestContext.Current.CancellationToken;
        _tester = await ProjectionTester.CreateAsync(DataSource, ScriptedStoreFixture.Registry(), new CaseFactsProjection(BostonCalendars), cancellationToken: cancellationToken);
        foreach (var batch in Cases.Chunk(500))
        {
            await _tester.Store.AppendToStreamsAsync(
                [.. batch.Select(events => new StreamAppend(
                    new StreamName(Boston, events[0].CaseId.Value), "case", ExpectedVersion.NoStream, [.. events.Select(e => new NewEvent(Guid.NewGuid(), e, Alice))]))],
                cancellationToken);
        }

        await _tester.CatchUpAsync(cancellationToken);
    }

    private static List<IReadOnlyList<CaseEvent>> Generate()
    {
        var random = new Random(20260308);
        var zone = ScriptedCases.Calendar.Zone;
        var first = zone.AtStartOfDay(FirstDay).ToInstant();
        var span = zone.AtStartOfDay(LastDay).ToInstant() - first;
        var cases = new List<IReadOnlyList<CaseEvent>>();
        for (var n = 1; n <= CaseCount; n++)
        {
            var id = new CaseId("many-" + n.ToString("D5", CultureInfo.InvariantCulture));
            var service = "svc-" + random.Next(ServiceCount).ToString("D2", CultureInfo.InvariantCulture);
            var at = first + Duration.FromMinutes(random.NextInt64((long)span.TotalMinutes));
            Instant Later(double maxHours) => at += Duration.FromMinutes(1 + random.NextInt64((long)(maxHours * 60)));
            Instant NextLocalMidnight() => at = zone.AtStartOfDay(at.InZone(zone).Date.PlusDays(1 + random.Next(5))).ToInstant();
            var events = new List<CaseEvent>
            {
                new CaseOpened(
                    id, new CaseNumber("BOS", 2026, n), new AgencyId(Boston), new ServiceCode(service), "Something is broken",
                    new CitizenContact("citizen-" + n.ToString(CultureInfo.InvariantCulture), "A. Citizen"),
                    new CaseLocation(new GeoPoint(42.35, -71.06), "1 Main St"), Channel.Web, new Dictionary<string, IReadOnlyList<string>>(),
                    CasePriority.Normal, service.EndsWith('7') ? SlaTarget.CalendarDays(5) : SlaTarget.BusinessHours(16), at),
            };
            var fate = random.NextDouble();
            if (fate < 0.08)
            {
                events.Add(new CaseCancelled(id, "Withdrawn", Later(48)));
            }
            else if (fate < 0.12)
            {
                events.Add(new CaseMarkedDuplicate(id, new CaseId("many-00001"), null, Later(48)));
            }
            else if (fate < 0.16)
            {
                events.Add(new CaseTransferred(id, new AgencyId(Boston), new AgencyId("massdot"), "State road", Later(24)));
            }
            else
            {
                events.Add(new CaseAssigned(id, new Assignment(new TeamId("streets"), null), Later(12)));
                if (random.NextDouble() < 0.3)
                {
                    events.Add(new InformationRequested(id, "Where?", Channel.Email, Later(48)));
                    events.Add(new InformationReceived(id, "There", Channel.Email, Later(120)));
                }

                var resolutions = 0;
                while (resolutions < 3 && random.NextDouble() < (resolutions == 0 ? 0.85 : 0.6))
                {
                    if (resolutions > 0)
                    {
                        events.Add(new CaseReopened(id, "Still broken", Later(72)));
                    }

                    events.Add(new CaseResolved(id, "repaired", "Done.", random.NextDouble() < 0.1 ? NextLocalMidnight() : Later(400)));
                    resolutions++;
                    if (random.NextDouble() < 0.5)
                    {
                        events.Add(new FeedbackRecorded(id, 1 + random.Next(5), null, Later(24)));
                    }

                    if (random.NextDouble() < 0.7)
                    {
                        break;
                    }
                }

                if (resolutions > 0 && random.NextDouble() < 0.5)
                {
                    events.Add(new CaseClosed(id, random.NextDouble() < 0.1 ? NextLocalMidnight() : Later(200)));
                }
            }

            cases.Add(events);
        }

        return cases;
    }
}
