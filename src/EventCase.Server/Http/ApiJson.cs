using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
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

    /// <summary>
    /// For reading request bodies: strict. Member names are the documented camelCase ones, matched exactly (another
    /// casing is an unknown member); unknown and repeated members are errors; numbers are not read from strings.
    /// </summary>
    public static JsonSerializerOptions Request { get; } = CreateRequest();

    /// <summary>For writing responses and event data.</summary>
    public static JsonSerializerOptions Response { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private static JsonSerializerOptions CreateRequest()
    {
        var options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        // The web defaults match names in any case; then {"service":…,"Service":…} would be one member given twice, and
        // "SERVICE" a name the documentation never promised. Exact names make either an unknown member, named in errors.
        options.PropertyNameCaseInsensitive = false;
        // The last of two values would silently win: a body that says two things is refused, naming the member.
        options.AllowDuplicateProperties = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        // Ahead of the string-enum converter, which reads "low,urgent" as the two values' flags combined (for any enum):
        // a priority sent as two became a third, "normal".
        options.Converters.Insert(0, new SingleEnumNameConverter(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false)));
        options.MaxDepth = 32;
        options.TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { ValueTypeParametersAreRequired } };
        return options;
    }

    /// <summary>
    /// Makes a constructor parameter of a non-nullable value type without a default value (a <c>LocalTime</c>, a
    /// weekday) a required member: absent, it would read as its default — a calendar period without its end ended at
    /// midnight — and nothing after the read can tell. Request records make every member nullable and check it
    /// themselves; this is for the domain records some routes read whole (the calendar). Missing reference members
    /// read as null, which the handlers check, so that every error of a body is reported at once.
    /// </summary>
    private static void ValueTypeParametersAreRequired(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.AssociatedParameter is { HasDefaultValue: false, ParameterType: { IsValueType: true } type }
                && Nullable.GetUnderlyingType(type) is null)
            {
                property.IsRequired = true;
            }
        }
    }
}

/// <summary>
/// Reads an enum from one name only: a comma-separated list of names is refused (a <see cref="JsonException"/> at the
/// member), where <see cref="JsonStringEnumConverter"/> would combine them as flags. Writing is the inner converter's.
/// </summary>
internal sealed class SingleEnumNameConverter(JsonStringEnumConverter names) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Single<>).MakeGenericType(typeToConvert), names.CreateConverter(typeToConvert, options))!;

    private sealed class Single<T>(JsonConverter inner) : JsonConverter<T>
        where T : struct, Enum
    {
        private readonly JsonConverter<T> _inner = (JsonConverter<T>)inner;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String && reader.GetString()!.Contains(',', StringComparison.Ordinal))
            {
                throw new JsonException("must be one value, not a comma-separated list.");
            }

            return _inner.Read(ref reader, typeToConvert, options);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => _inner.Write(writer, value, options);
    }
}
