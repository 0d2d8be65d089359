using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Routing;
using EventCase.EventStore.Serialization;

namespace EventCase.Cases.Handling;

/// <summary>
/// The one place where every event type of the case domain (case lifecycle, service catalog, routing table, business
/// calendar) is registered with the event store. Servers, embedding hosts, the CLI, importers and tests all build
/// their registry here, so a stream written by one can be read by the others.
/// </summary>
public static class CaseEvents
{
    /// <summary>Every event record of the case domain: case events, then catalog, routing and calendar events.</summary>
    public static IReadOnlyList<Type> AllTypes { get; } =
        [.. CaseEventTypes.All, .. ServiceCatalog.EventTypes, .. RoutingTable.EventTypes, typeof(CalendarSet)];

    /// <summary>Registers every event type of the case domain with <paramref name="registry"/> and returns it.</summary>
    /// <exception cref="ArgumentException">A name is already bound to another type.</exception>
    public static EventTypeRegistry AddCaseEvents(this EventTypeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.RegisterAll(AllTypes);
    }

    /// <summary>A new registry holding every event type of the case domain.</summary>
    public static EventTypeRegistry CreateRegistry() => new EventTypeRegistry().AddCaseEvents();

    /// <summary>A serializer over <see cref="CreateRegistry"/> with the event store's default JSON options.</summary>
    public static EventSerializer CreateSerializer() => new(CreateRegistry());
}
