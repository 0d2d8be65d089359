using System.Reflection;
using EventCase.EventStore.Serialization;

namespace EventCase.Cases.Lifecycle;

/// <summary>Every case event type, for registering with the event store's <see cref="EventTypeRegistry"/>.</summary>
public static class CaseEventTypes
{
    /// <summary>All concrete <see cref="CaseEvent"/> records, ordered by their stable name.</summary>
    public static IReadOnlyList<Type> All { get; } = typeof(CaseEvent).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsPublic: true } && t.IsSubclassOf(typeof(CaseEvent)))
        .OrderBy(t => t.GetCustomAttribute<EventTypeAttribute>()?.Name, StringComparer.Ordinal)
        .ToArray();
}
