using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Benchmarks.Workloads;

// The lifecycle W1 writes: opened (with about 200 bytes of text), assigned, six notes, escalated, resolved.
// These records have the shape and size of the case domain's events; the store is what W1 measures.

[EventType("bench.case-opened.v1")]
internal sealed record BenchCaseOpened(string CaseId, string ServiceCode, string Description, string CitizenReference, double Latitude, double Longitude, string Channel, Instant At);

[EventType("bench.case-assigned.v1")]
internal sealed record BenchCaseAssigned(string CaseId, string Team, string? Agent, Instant At);

[EventType("bench.note-added.v1")]
internal sealed record BenchNoteAdded(string CaseId, string Text, bool Internal, Instant At);

[EventType("bench.case-escalated.v1")]
internal sealed record BenchCaseEscalated(string CaseId, int Level, string Reason, Instant At);

[EventType("bench.case-resolved.v1")]
internal sealed record BenchCaseResolved(string CaseId, string ResolutionCode, string Summary, Instant At);

internal static class BenchEvents
{
    public const string Description =
        "Streetlight out on the corner of Tremont and Boylston since Tuesday night; the whole block is dark and people are crossing in the dark near the bus stop. Please send a crew.";

    public static EventTypeRegistry Registry() => new EventTypeRegistry()
        .Register<BenchCaseOpened>()
        .Register<BenchCaseAssigned>()
        .Register<BenchNoteAdded>()
        .Register<BenchCaseEscalated>()
        .Register<BenchCaseResolved>();

    public static readonly EventMetadata Metadata = new("agent-17", "agent", "corr-bench", Channel: "phone");

    public static object[] Lifecycle(string caseId, Instant at) =>
    [
        new BenchCaseOpened(caseId, "streetlight-out", Description, "citizen-4711", 42.3522, -71.0649, "phone", at),
        new BenchCaseAssigned(caseId, "street-lights", "agent-17", at),
        new BenchNoteAdded(caseId, "Called the citizen back to confirm the location.", true, at),
        new BenchNoteAdded(caseId, "Crew dispatched.", false, at),
        new BenchNoteAdded(caseId, "Crew on site; ballast failed.", true, at),
        new BenchNoteAdded(caseId, "Part ordered.", true, at),
        new BenchNoteAdded(caseId, "Part arrived.", true, at),
        new BenchNoteAdded(caseId, "Scheduled for tomorrow morning.", false, at),
        new BenchCaseEscalated(caseId, 2, "Open longer than the SLA allows.", at),
        new BenchCaseResolved(caseId, "repaired", "The streetlight was repaired.", at),
    ];

    public static NewEvent[] NewEvents(string caseId, Instant at) =>
        Lifecycle(caseId, at).Select(data => new NewEvent(Guid.NewGuid(), data, Metadata)).ToArray();
}
