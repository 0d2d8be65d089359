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
        ReadingOptions = RequiredMembers.ForReading(Options);
    }

    /// <summary>The type registry.</summary>
    public EventTypeRegistry Registry { get; }

    /// <summary>The JSON options event data and metadata are written with.</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>
    /// The JSON options event data and metadata are read with, for other documents kept for the same events that must
    /// be read as strictly (snapshots): <see cref="Options"/> as they were when the serializer was created, and a
    /// member whose constructor parameter is non-nullable without a default value must be present and not null. A
    /// nullable member may be absent, as the store writes nulls (decision 0019).
    /// </summary>
    public JsonSerializerOptions ReadingOptions { get; }

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
    /// <exception cref="JsonException">The JSON is not metadata: malformed, with a member metadata does not have, or without one it requires.</exception>
    public EventMetadata DeserializeMetadata(string json) =>
        JsonSerializer.Deserialize<EventMetadata>(json, ReadingOptions)
        ?? throw new JsonException("Event metadata is null.");

    /// <summary>Reads metadata JSON given as UTF-8 bytes (as the store reads it: no transcoding to a string and back).</summary>
    /// <exception cref="JsonException">The JSON is not metadata: malformed, with a member metadata does not have, or without one it requires.</exception>
    public EventMetadata DeserializeMetadata(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize<EventMetadata>(utf8Json, ReadingOptions)
        ?? throw new JsonException("Event metadata is null.");

    /// <summary>
    /// Reads event data stored under <paramref name="storedTypeName"/>, upcasting it first when an upcaster exists.
    /// </summary>
    /// <returns>The current type name and the event record.</returns>
    /// <exception cref="UnknownEventTypeException">Neither the name nor any upcast of it is registered.</exception>
    /// <exception cref="JsonException">
    /// The data does not read as its record (malformed, a member the record does not have, a required member missing or
    /// null, a value its type's constructor refuses); the message names the stored type and, when given, the
    /// <paramref name="position"/>.
    /// </exception>
    public (string TypeName, object Data) DeserializeData(string storedTypeName, string json, long? position = null) =>
        DeserializeData(storedTypeName, System.Text.Encoding.UTF8.GetBytes(json), position);

    /// <summary>
    /// Reads event data given as UTF-8 bytes (as the store reads it) stored under <paramref name="storedTypeName"/>,
    /// upcasting it first when an upcaster exists.
    /// </summary>
    /// <returns>The current type name and the event record.</returns>
    /// <exception cref="UnknownEventTypeException">Neither the name nor any upcast of it is registered.</exception>
    /// <exception cref="JsonException">
    /// The data does not read as its record (malformed, a member the record does not have, a required member missing or
    /// null, a value its type's constructor refuses); the message names the stored type and, when given, the
    /// <paramref name="position"/>.
    /// </exception>
    public (string TypeName, object Data) DeserializeData(string storedTypeName, ReadOnlySpan<byte> utf8Json, long? position = null)
    {
        var typeName = storedTypeName;
        try
        {
            if (Registry.HasUpcaster(storedTypeName))
            {
                var node = JsonNode.Parse(utf8Json) as JsonObject
                    ?? throw new JsonException("The stored data is not a JSON object.");
                (typeName, node) = Registry.Upcast(storedTypeName, node);
                var upcastType = Registry.FindType(typeName) ?? throw UnknownEventTypeException.ForName(storedTypeName, position);
                return (typeName, node.Deserialize(upcastType, ReadingOptions)
                    ?? throw new JsonException("The stored data is null."));
            }

            var type = Registry.FindType(typeName) ?? throw UnknownEventTypeException.ForName(storedTypeName, position);
            return (typeName, JsonSerializer.Deserialize(utf8Json, type, ReadingOptions)
                ?? throw new JsonException("The stored data is null."));
        }
        catch (JsonException unreadable)
        {
            // Every reader of the log (a stream, the log, a rebuild, the CLI's replay) gets here: the error says which event
            // it is, so that nobody has to find the row by hand. It stays a JsonException, which is what those readers expect.
            throw Unreadable(storedTypeName, typeName, position, unreadable);
        }
        catch (ArgumentException invalid)
        {
            // A value object's constructor refusing a stored value (an SLA target of zero, a malformed code): the event
            // cannot be read either, and its readers should learn which one it is the same way.
            throw Unreadable(storedTypeName, typeName, position, new JsonException(invalid.Message, invalid));
        }
    }

    private static JsonException Unreadable(string storedTypeName, string typeName, long? position, JsonException error)
    {
        var what = string.Equals(storedTypeName, typeName, StringComparison.Ordinal)
            ? $"Event '{storedTypeName}'"
            : $"Event '{storedTypeName}' (upcast to '{typeName}')";
        var where = position is null ? "" : $" at log position {position}";
        return new JsonException($"{what}{where} cannot be read: {error.Message}", error.Path, error.LineNumber, error.BytePositionInLine, error);
    }
}
