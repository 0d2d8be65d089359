using BenchmarkDotNet.Attributes;
using EventCase.Benchmarks.Workloads;
using EventCase.Cases;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore.Auditing;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Benchmarks.Micro;

/// <summary>
/// The in-process hot paths, with allocations: run with
/// <c>dotnet run -c Release --project benchmarks/EventCase.Benchmarks -- --micro --filter '*'</c>.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private readonly EventSerializer _serializer = CaseEvents.CreateSerializer();
    private CaseEvent[] _history = null!;
    private CaseState _state = null!;
    private string _openedJson = null!;
    private string _noteJson = null!;
    private byte[] _openedUtf8 = null!;
    private byte[] _noteUtf8 = null!;
    private byte[] _metadataUtf8 = null!;
    private EscalateCase _escalate = null!;
    private CanonicalEvent _canonical = null!;
    private readonly Instant _start = Instant.FromUtc(2026, 3, 6, 15, 30);

    [GlobalSetup]
    public void Setup()
    {
        _history = CaseScripts.Lifecycle(7);
        _state = CaseState.Fold(_history.Take(3));
        _openedJson = _serializer.SerializeData(_history[0]).Json;
        _noteJson = _serializer.SerializeData(_history[2]).Json;
        _openedUtf8 = System.Text.Encoding.UTF8.GetBytes(_openedJson);
        _noteUtf8 = System.Text.Encoding.UTF8.GetBytes(_noteJson);
        _escalate = new EscalateCase(_history[0].CaseId, 2, "open too long", _start);
        _canonical = new CanonicalEvent("boston", "case-0000007", 1, Guid.NewGuid(), "case.opened.v1", 1_772_000_000_000_000, _openedJson,
            """{"actorId":"agent-17","actorRole":"agent","correlationId":"corr-bench","channel":"phone"}""");
        _metadataUtf8 = System.Text.Encoding.UTF8.GetBytes(_canonical.MetadataJson);
    }

    [Benchmark]
    public string SerializeOpened() => _serializer.SerializeData(_history[0]).Json;

    // The store hands the deserializer the UTF-8 bytes it reads (no string in between), so these measure that path.
    [Benchmark]
    public object DeserializeOpened() => _serializer.DeserializeData("case.opened.v1", _openedUtf8).Data;

    [Benchmark]
    public EventMetadata DeserializeMetadata() => _serializer.DeserializeMetadata(_metadataUtf8);

    [Benchmark]
    public object DeserializeNote() => _serializer.DeserializeData("case.note-added.v1", _noteUtf8).Data;

    [Benchmark]
    public CaseState DecideAndEvolve() => CaseDecider.DecideAndEvolve(_escalate, _state).State;

    [Benchmark]
    public CaseState FoldTenEvents() => CaseState.Fold(_history);

    [Benchmark]
    public Instant SlaDueFortyEightBusinessHours() => CaseScripts.Calendars.For("boston").AddBusinessTime(_start, Duration.FromHours(48));

    [Benchmark]
    public Duration BusinessTimeOverThreeWeeks() => CaseScripts.Calendars.For("boston").BusinessTimeBetween(_start, _start + Duration.FromDays(21));

    [Benchmark]
    public AuditHash HashOneEvent() => _canonical.ComputeHash(AuditHash.Zero);
}
