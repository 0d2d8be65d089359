using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.EventStore.Tests.Support;

[EventType("test.thing-opened.v1")]
public sealed record ThingOpened(string ThingId, string Title, Instant At);

[EventType("test.note-added.v1")]
public sealed record NoteAdded(string ThingId, string Text);

[EventType("test.rare-thing-happened.v1")]
public sealed record RareThingHappened(int Number);

/// <summary>The old shape of a priority change: a word.</summary>
[EventType("test.priority-set.v1")]
public sealed record PrioritySetV1(string Level);

/// <summary>The current shape: a number and a reason.</summary>
[EventType("test.priority-set.v2")]
public sealed record PrioritySet(int Level, string Reason);

public sealed record NotRegistered(string Anything);

public static class TestEvents
{
    public static EventTypeRegistry Registry() => new EventTypeRegistry()
        .Register<ThingOpened>()
        .Register<NoteAdded>()
        .Register<RareThingHappened>()
        .Register<PrioritySet>();

    public static EventMetadata Actor { get; } = new("agent-7", "agent", CorrelationId: "corr-1", Channel: "phone");

    public static NewEvent New(object data, EventMetadata? metadata = null) => new(Guid.NewGuid(), data, metadata ?? Actor);

    public static NewEvent[] Notes(string thingId, int count) =>
        Enumerable.Range(1, count).Select(i => New(new NoteAdded(thingId, $"note {i}"))).ToArray();
}
