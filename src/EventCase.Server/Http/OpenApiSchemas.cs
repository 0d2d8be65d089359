using System.Reflection;
using System.Text.Json.Serialization;
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
