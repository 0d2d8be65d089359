using System.Text.Json;
using System.Text.Json.Serialization;
using EventCase.EventStore.Serialization;

namespace EventCase.Cases.Tests.Support;

/// <summary>The JSON settings the event store writes payloads with: enums as strings, NodaTime as ISO text.</summary>
internal static class CaseJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes with the runtime type, so two events compare by everything they carry (lists included).</summary>
    public static string Describe(object value) =>
        $"{value.GetType().Name} {JsonSerializer.Serialize(value, value.GetType(), Options)}";

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
        return options.AddNodaTimeConverters();
    }
}
