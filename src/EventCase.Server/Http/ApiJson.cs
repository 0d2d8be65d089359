using System.Text.Json;
using System.Text.Json.Serialization;
using EventCase.EventStore.Serialization;

namespace EventCase.Server.Http;

/// <summary>The JSON conventions of the API: camelCase, enums as camelCase strings, NodaTime as ISO text.</summary>
public static class ApiJson
{
    /// <summary>Applies the API conventions to <paramref name="options"/>.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.AddNodaTimeConverters();
        return options;
    }

    /// <summary>For reading request bodies: strict (unknown members are an error, numbers are not read from strings).</summary>
    public static JsonSerializerOptions Request { get; } = CreateRequest();

    /// <summary>For writing responses and event data.</summary>
    public static JsonSerializerOptions Response { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private static JsonSerializerOptions CreateRequest()
    {
        var options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.MaxDepth = 32;
        return options;
    }
}
