using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EventCase.EventStore.Serialization;

/// <summary>
/// Maps stable event type names (<c>case.opened.v1</c>) to CLR records and back, and holds the upcasters that turn
/// stored old versions into current ones on read. Registration is usually done once at start-up; lookups are
/// thread safe and lock free.
/// </summary>
public sealed partial class EventTypeRegistry
{
    private readonly ConcurrentDictionary<string, Type> _typesByName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _namesByType = new();
    private readonly ConcurrentDictionary<string, Upcaster> _upcastersByFromName = new(StringComparer.Ordinal);

    /// <summary>Registers <typeparamref name="TEvent"/> under the name given by its <see cref="EventTypeAttribute"/>.</summary>
    public EventTypeRegistry Register<TEvent>() => Register(typeof(TEvent));

    /// <summary>Registers every type in <paramref name="eventTypes"/> under its <see cref="EventTypeAttribute"/> name.</summary>
    public EventTypeRegistry RegisterAll(IEnumerable<Type> eventTypes)
    {
        ArgumentNullException.ThrowIfNull(eventTypes);
        foreach (var type in eventTypes)
        {
            Register(type);
        }

        return this;
    }

    /// <summary>Registers <paramref name="eventType"/> under the name given by its <see cref="EventTypeAttribute"/>.</summary>
    /// <exception cref="ArgumentException">The type has no <see cref="EventTypeAttribute"/>.</exception>
    public EventTypeRegistry Register(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        var attribute = eventType.GetCustomAttribute<EventTypeAttribute>()
            ?? throw new ArgumentException(
                $"{eventType.FullName} has no [EventType(\"...\")] attribute; give it a stable name such as \"case.opened.v1\".",
                nameof(eventType));
        return Register(attribute.Name, eventType);
    }

    /// <summary>Registers <paramref name="eventType"/> under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is malformed, or already bound to another type (or the type to another name).</exception>
    public EventTypeRegistry Register(string name, Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        ValidateName(name);
        var boundType = _typesByName.GetOrAdd(name, eventType);
        if (boundType != eventType)
        {
            throw new ArgumentException($"Event type name '{name}' is already registered for {boundType.FullName}.", nameof(name));
        }

        var boundName = _namesByType.GetOrAdd(eventType, name);
        if (!string.Equals(boundName, name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{eventType.FullName} is already registered as '{boundName}'.", nameof(eventType));
        }

        return this;
    }

    /// <summary>
    /// Declares that events stored as <paramref name="fromName"/> are read as <paramref name="toName"/> after
    /// <paramref name="upcast"/> rewrites their JSON. Chains are followed (v1 → v2 → v3). The stored row never changes.
    /// </summary>
    public EventTypeRegistry AddUpcaster(string fromName, string toName, Func<JsonObject, JsonObject> upcast)
    {
        ArgumentNullException.ThrowIfNull(upcast);
        ValidateName(fromName);
        ValidateName(toName);
        if (string.Equals(fromName, toName, StringComparison.Ordinal))
        {
            throw new ArgumentException("An upcaster must change the event type name.", nameof(toName));
        }

        if (!_upcastersByFromName.TryAdd(fromName, new Upcaster(toName, upcast)))
        {
            throw new ArgumentException($"An upcaster from '{fromName}' is already registered.", nameof(fromName));
        }

        return this;
    }

    /// <summary>The stable name of <paramref name="eventType"/>.</summary>
    /// <exception cref="UnknownEventTypeException">The type was never registered.</exception>
    public string GetName(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        return _namesByType.TryGetValue(eventType, out var name)
            ? name
            : throw UnknownEventTypeException.ForClrType(eventType);
    }

    /// <summary>True when <paramref name="eventType"/> is registered (under any name).</summary>
    internal bool IsRegistered(Type eventType) => _namesByType.ContainsKey(eventType);

    /// <summary>The CLR type registered for <paramref name="name"/>, or null.</summary>
    public Type? FindType(string name) => _typesByName.GetValueOrDefault(name);

    /// <summary>True when <paramref name="name"/> is a registered name or can be upcast to one.</summary>
    public bool IsKnown(string name)
    {
        var current = name;
        for (var hops = 0; hops < MaxUpcastChain; hops++)
        {
            if (_typesByName.ContainsKey(current))
            {
                return true;
            }

            if (!_upcastersByFromName.TryGetValue(current, out var upcaster))
            {
                return false;
            }

            current = upcaster.ToName;
        }

        return false;
    }

    /// <summary>Every registered name.</summary>
    public IReadOnlyCollection<string> Names => _typesByName.Keys.ToArray();

    internal bool HasUpcaster(string name) => _upcastersByFromName.ContainsKey(name);

    /// <summary>The name <paramref name="storedName"/> is read as once its upcaster chain is followed (itself when none).</summary>
    public string ResolveName(string storedName)
    {
        var current = storedName;
        for (var hops = 0; hops < MaxUpcastChain && _upcastersByFromName.TryGetValue(current, out var upcaster); hops++)
        {
            current = upcaster.ToName;
        }

        return current;
    }

    /// <summary>Applies the upcaster chain starting at <paramref name="name"/>; returns the final name and JSON.</summary>
    internal (string Name, JsonObject Json) Upcast(string name, JsonObject json)
    {
        var currentName = name;
        var currentJson = json;
        for (var hops = 0; hops < MaxUpcastChain && _upcastersByFromName.TryGetValue(currentName, out var upcaster); hops++)
        {
            currentJson = upcaster.Upcast(currentJson);
            currentName = upcaster.ToName;
        }

        return (currentName, currentJson);
    }

    private const int MaxUpcastChain = 32;

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || !NamePattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid event type name: use lower-case dot-separated words ending in a version, e.g. 'case.opened.v1'.",
                nameof(name));
        }
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)*\.v[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    private sealed record Upcaster(string ToName, Func<JsonObject, JsonObject> Upcast);
}
