using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EventCase.Cases;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using NodaTime;

namespace EventCase.Server.Http;

/// <summary>
/// Schemas the OpenAPI generator cannot infer: value objects (agency ids, service codes, …) and NodaTime values are
/// written as JSON strings by their converters, while the generator only sees an object with no public properties and
/// would describe them as "any".
/// </summary>
internal static class OpenApiSchemas
{
    private static readonly Dictionary<Type, (string? Format, string Description)> NodaTimeText = new()
    {
        [typeof(Instant)] = ("date-time", "An instant, ISO-8601 in UTC, e.g. `2026-11-23T20:32:16.435641Z`."),
        [typeof(LocalDate)] = ("date", "A date, ISO-8601, e.g. `2026-12-25`."),
        [typeof(LocalTime)] = (null, "A time of day, ISO-8601, e.g. `08:00:00`."),
        [typeof(LocalDateTime)] = (null, "A date and time without an offset, ISO-8601, e.g. `2026-11-23T15:32:16`."),
        [typeof(Duration)] = (null, "A duration in NodaTime's round-trip pattern `-D:hh:mm:ss.FFFFFFFFF`, e.g. `1:16:00:00` (40 hours)."),
        [typeof(Period)] = (null, "A period, ISO-8601, e.g. `P30D`."),
        [typeof(DateTimeZone)] = (null, "An IANA time zone id, e.g. `America/New_York`."),
    };

    public static Task DescribeTextValues(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (DescribeText(schema, type))
        {
            return Task.CompletedTask;
        }

        // A list of such values: the generator leaves its items without a schema, so say what each item is.
        if (ElementType(type) is { } element && (schema.Items is null || schema.Items is OpenApiSchema { Type: null }))
        {
            var items = new OpenApiSchema();
            if (DescribeText(items, element))
            {
                schema.Items = items;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Says which properties an object must have. The generator lists every constructor parameter as required; but a
    /// request field typed nullable may be left out (the service's own validation decides, and names the field), and
    /// a response property that can be null is left out of the JSON (nulls are not written). So required are the
    /// properties that cannot be null, and the request fields marked <see cref="RequiredAttribute"/>: the ones the
    /// service always refuses to go without.
    /// </summary>
    public static Task DescribeRequiredProperties(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object || schema.Properties is not { Count: > 0 } properties)
        {
            return Task.CompletedTask;
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (!properties.TryGetValue(property.Name, out var propertySchema))
            {
                continue;
            }

            if (property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true)
            {
                // Typed nullable so that a missing field gets the service's own error, but null is refused as well.
                properties[property.Name] = WithoutNull(propertySchema);
                required.Add(property.Name);
            }
            else if (!(property.IsGetNullable || property.IsSetNullable))
            {
                required.Add(property.Name);
            }
        }

        schema.Required = required.Count > 0 ? required : null;
        return Task.CompletedTask;
    }

    /// <summary>The schema without its null alternative: <c>["null", "string"]</c> becomes <c>"string"</c>, and
    /// <c>oneOf: [null, $ref]</c> becomes the reference.</summary>
    private static IOpenApiSchema WithoutNull(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchema { OneOf: { Count: 2 } alternatives } && alternatives.Count(a => a is OpenApiSchema { Type: JsonSchemaType.Null }) == 1)
        {
            return alternatives.Single(a => a is not OpenApiSchema { Type: JsonSchemaType.Null });
        }

        if (schema is OpenApiSchema { Type: { } type } concrete && type != JsonSchemaType.Null && type.HasFlag(JsonSchemaType.Null))
        {
            concrete.Type = type & ~JsonSchemaType.Null;
        }

        // A nullable property of a component type (an enum, a record) is marked here and wrapped in oneOf [null, $ref]
        // when the document is put together; without the mark it stays the plain reference.
        if (schema is OpenApiSchema { Metadata: { } metadata })
        {
            metadata.Remove("x-is-nullable-property");
        }

        return schema;
    }

    /// <summary>Describes a value written as a JSON string; false when <paramref name="type"/> is not one.</summary>
    private static bool DescribeText(OpenApiSchema schema, Type type)
    {
        if (NodaTimeText.TryGetValue(type, out var text))
        {
            schema.Type = JsonSchemaType.String;
            schema.Format = text.Format;
            schema.Description ??= text.Description;
            return true;
        }

        if (type.GetCustomAttribute<JsonConverterAttribute>()?.ConverterType is { IsGenericType: true } converter
            && converter.GetGenericTypeDefinition() == typeof(StringValueJsonConverter<>))
        {
            schema.Type = JsonSchemaType.String;
            schema.Properties?.Clear();
            schema.Required?.Clear();
            return true;
        }

        return false;
    }

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            ?.GetGenericArguments()[0];
    }
}
