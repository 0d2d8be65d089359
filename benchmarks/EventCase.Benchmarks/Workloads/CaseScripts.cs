using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Resolving;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using NodaTime;

namespace EventCase.Benchmarks.Workloads;

/// <summary>
/// Realistic case histories made of the domain's own events: opened (with about 200 bytes of citizen text), assigned,
/// six notes, escalated, resolved. Each event happens an hour after the one before.
/// </summary>
public static class CaseScripts
{
    public const string Description =
        "Streetlight out on the corner of Tremont and Boylston since Tuesday night; the whole block is dark and people are crossing in the dark near the bus stop. Please send a crew.";

    public static readonly AgencyId Agency = new("boston");

    public static readonly Instant Start = Instant.FromUtc(2026, 3, 2, 13, 0);

    public static readonly EventMetadata Metadata = new("agent-17", "agent", "corr-bench", Channel: "phone");

    public static readonly AgencyCalendars Calendars = AgencyCalendars.Single(
        BusinessCalendar.Weekdays("America/New_York", [new WorkingPeriod(new LocalTime(8, 0), new LocalTime(17, 0))]));

    public static CaseId CaseIdFor(int i) => new("case-" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture));

    public static StreamName StreamFor(int i) => CaseStreams.For(Agency, CaseIdFor(i));

    public static CaseEvent[] Lifecycle(int i)
    {
        var id = CaseIdFor(i);
        var at = Start + Duration.FromMinutes(i % 10_000);
        Instant Step(int hours) => at + Duration.FromHours(hours);
        return
        [
            new CaseOpened(id, new CaseNumber("BOS", 2026, i + 1), Agency, new ServiceCode("streetlight-out"), Description,
                new CitizenContact("citizen-" + (i % 5000)), new CaseLocation(new GeoPoint(42.3522, -71.0649), "Tremont St & Boylston St"),
                Channel.Phone, new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal, SlaTarget.BusinessHours(48), at),
            new CaseAssigned(id, new Assignment(new TeamId("team-" + (i % 50)), new AgentId("agent-" + (i % 500))), Step(1)),
            new NoteAdded(id, NoteVisibility.Internal, "Called the citizen back to confirm the location.", Step(2)),
            new NoteAdded(id, NoteVisibility.Public, "Crew dispatched.", Step(3)),
            new NoteAdded(id, NoteVisibility.Internal, "Crew on site; the ballast failed.", Step(4)),
            new NoteAdded(id, NoteVisibility.Internal, "Part ordered.", Step(5)),
            new NoteAdded(id, NoteVisibility.Internal, "Part arrived.", Step(6)),
            new NoteAdded(id, NoteVisibility.Public, "Scheduled for tomorrow morning.", Step(7)),
            new CaseEscalated(id, 0, 2, "Open longer than the SLA allows.", Step(8)),
            new CaseResolved(id, "repaired", "The streetlight was repaired.", Step(9)),
        ];
    }

    public static NewEvent[] NewEvents(int i) => Lifecycle(i).Select(e => new NewEvent(Guid.CreateVersion7(), e, Metadata)).ToArray();

    /// <summary>Writes <paramref name="cases"/> full case histories fast: many streams per round trip.</summary>
    public static Task LoadAsync(PostgresEventStore store, int cases, int firstCase, TextWriter log, CancellationToken cancellationToken) =>
        LoadAsync(store, cases, firstCase, 10, log, cancellationToken);

    /// <summary>Writes the first <paramref name="eventsPerCase"/> events of <paramref name="cases"/> case histories fast: many streams per round trip.</summary>
    public static async Task LoadAsync(PostgresEventStore store, int cases, int firstCase, int eventsPerCase, TextWriter log, CancellationToken cancellationToken)
    {
        const int perBatch = 500;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var from = 0; from < cases; from += perBatch)
        {
            var batch = Enumerable.Range(firstCase + from, Math.Min(perBatch, cases - from))
                .Select(i => new StreamAppend(StreamFor(i), CaseStreams.StreamType, ExpectedVersion.NoStream, NewEvents(i)[..eventsPerCase]))
                .ToArray();
            await store.AppendToStreamsAsync(batch, cancellationToken);
            if (from % 20_000 == 0 && from > 0)
            {
                var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
                log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  loaded {from:N0} cases ({from * 10 / seconds:N0} events/s)"));
            }
        }
    }

    /// <summary>
    /// Waits until every projection of <paramref name="store"/> is built, running and caught up (a daemon must be running);
    /// a failed projection, or ten minutes, fails the run.
    /// </summary>
    public static async Task WaitForReadModelsAsync(PostgresEventStore store, CancellationToken cancellationToken)
    {
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency * 600);
        while (true)
        {
            var statuses = await store.Projections.GetStatusAsync(cancellationToken);
            if (statuses.FirstOrDefault(s => s.State == EventCase.EventStore.Projections.ProjectionStates.Failed) is { } failed)
            {
                throw new InvalidOperationException($"{failed.Name} failed: {failed.Failure?.Error}");
            }

            if (statuses.All(s => s is { Built: true, State: EventCase.EventStore.Projections.ProjectionStates.Running, LagEvents: 0 }))
            {
                return;
            }

            if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("the read models did not catch up within 10 minutes");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
