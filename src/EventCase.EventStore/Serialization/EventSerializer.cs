using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EventCase.EventStore.Metadata;

namespace EventCase.EventStore.Serialization;

/// <summary>
/// Turns event records and metadata into the JSON stored in the log and back, through the
/// <see cref="EventTypeRegistry"/> (names, upcasters). Thread safe.
/// </summary>
public sealed class EventSerializer
{
    /// <summary>Creates a serializer over <paramref name="registry"/> with <paramref name="options"/> (or <see cref="CreateDefaultOptions"/>).</summary>
    public EventSerializer(EventTypeRegistry registry, JsonSerializerOptions? options = null)
    {
        Registry = registry ?? throw new ArgumentNullException(nameof(registry));
        Options = options ?? CreateDefaultOptions();
    }

    /// <summary>The type registry.</summary>
    public EventTypeRegistry Registry { get; }

    /// <summary>The JSON options used for event data and metadata.</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>
    /// The default options: camelCase properties, enums as camelCase strings, NodaTime types as ISO text, nulls
    /// omitted, unknown members rejected on read (a stored document the record cannot hold is an error, not silent loss).
    /// </summary>
    public static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            WriteIndented = false,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.AddNodaTimeConverters();
        return options;
    }

    /// <summary>The stable name and JSON text of <paramref name="data"/>.</summary>
    /// <exception cref="UnknownEventTypeException">The data's type is not registered.</exception>
    public (string TypeName, string Json) SerializeData(object data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var type = data.GetType();
        var name = Registry.GetName(type);
        return (name, JsonSerializer.Serialize(data, type, Options));
    }

    /// <summary>The JSON text of <paramref name="metadata"/>.</summary>
    public string SerializeMetadata(EventMetadata metadata) => JsonSerializer.Serialize(metadata, Options);

    /// <summary>Reads metadata JSON.</summary>
    public EventMetadata DeserializeMetadata(string json) =>
        JsonSerializer.Deserialize<EventMetadata>(json, Options)
        ?? throw new JsonException("Event metadata is null.");

    /// <summary>Reads metadata JSON given as UTF-8 bytes (as the store reads it: no transcoding to a string and back).</summary>
    public EventMetadata DeserializeMetadata(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<EventMetadata>(utf8Json, Options)
        ?? throw new JsonException("Event metadata is null.");

    /// <summary>
    /// Reads event data stored under <paramref name="storedTypeName"/>, upcasting it first when an upcaster exists.
    /// </summary>
    /// <returns>The current type name and the event record.</returns>
    /// <exception cref="UnknownEventTypeException">Neither the name nor any upcast of it is registered.</exception>
    public (string TypeName, object Data) DeserializeData(string storedTypeName, string json, long? position = null) =>
        DeserializeData(storedTypeName, System.Text.Encoding.UTF8.GetBytes(json), position);

    /// <summary>
    /// Reads event data given as UTF-8 bytes (as the store reads it) stored under <paramref name="storedTypeName"/>,
    /// upcasting it first when an upcaster exists.
    /// </summary>
    /// <returns>The current type name and the event record.</returns>
    /// <exception cref="UnknownEventTypeException">Neither the name nor any upcast of it is registered.</exception>
    public (string TypeName, object Data) DeserializeData(string storedTypeName, ReadOnlySpan<byte> utf8Json, long? position = null)
    {
        var typeName = storedTypeName;
        if (Registry.HasUpcaster(storedTypeName))
        {
            var node = JsonNode.Parse(utf8Json) as JsonObject
                ?? throw new JsonException($"Event data of '{storedTypeName}' is not a JSON object.");
            (typeName, node) = Registry.Upcast(storedTypeName, node);
            var upcastType = Registry.FindType(typeName) ?? throw UnknownEventTypeException.ForName(storedTypeName, position);
            return (typeName, node.Deserialize(upcastType, Options)
                ?? throw new JsonException($"Event data of '{typeName}' is null."));
        }

        var type = Registry.FindType(typeName) ?? throw UnknownEventTypeException.ForName(storedTypeName, position);
        return (typeName, JsonSerializer.Deserialize(utf8Json, type, Options)
            ?? throw new JsonException($"Event data of '{typeName}' is null."));
    }
}
