using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace EventCase.Server.Http;

/// <summary>
/// What the OpenAPI document says a query parameter takes. Documentation only: the handlers bind their query
/// parameters as text and check them themselves (<see cref="Validation"/>), so that a bad value is the service's own
/// 400 naming the field; the document says what that check accepts, so that a generated client types it.
/// </summary>
internal sealed class QueryType
{
    private readonly Func<OpenApiSchema> _schema;

    private QueryType(Func<OpenApiSchema> schema, bool isList = false)
    {
        _schema = schema;
        IsList = isList;
    }

    /// <summary>A whole number from <paramref name="minimum"/> to <paramref name="maximum"/>, as <see cref="Validation.Long"/> reads it.</summary>
    public static QueryType Integer(long minimum, long maximum, long? defaultValue = null) => new(() => new OpenApiSchema
    {
        Type = JsonSchemaType.Integer,
        Format = "int64",
        Minimum = minimum.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum.ToString(CultureInfo.InvariantCulture),
        Default = defaultValue is { } value ? JsonValue.Create(value) : null,
    });

    /// <summary><c>true</c> or <c>false</c> (in any letter case), as <see cref="Validation.Boolean"/> reads it.</summary>
    public static QueryType Boolean { get; } = new(() => new OpenApiSchema { Type = JsonSchemaType.Boolean });

    /// <summary>An ISO-8601 instant with <c>Z</c> or an offset, as <see cref="Validation.Instant"/> reads it.</summary>
    public static QueryType Instant { get; } = new(() => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" });

    /// <summary>An ISO-8601 date, <c>YYYY-MM-DD</c>.</summary>
    public static QueryType Date { get; } = new(() => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" });

    /// <summary>Opaque text the service handed out (a cursor, a key), or free text up to <paramref name="maxLength"/> characters.</summary>
    public static QueryType Text(int? maxLength = null) => new(() => new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = maxLength });

    /// <summary>One of <paramref name="values"/>.</summary>
    public static QueryType OneOf(IReadOnlyList<string> values, string? defaultValue = null) => new(() =>
    {
        var schema = Enumeration(values);
        schema.Default = defaultValue is null ? null : JsonValue.Create(defaultValue);
        return schema;
    });

    /// <summary>
    /// A comma-separated list (<see cref="CommaSeparatedListAttribute"/>): described as an array sent in form style
    /// without explode (<c>?status=open,assigned</c>), each item one of <paramref name="values"/>, or any text when none
    /// are given.
    /// </summary>
    public static QueryType ListOf(IReadOnlyList<string>? values = null) => new(
        () => new OpenApiSchema { Type = JsonSchemaType.Array, Items = values is null ? new OpenApiSchema { Type = JsonSchemaType.String } : Enumeration(values) },
        isList: true);

    /// <summary>Whether the parameter is a comma-separated list.</summary>
    public bool IsList { get; }

    /// <summary>A new schema each time: the document is put together per request and its transformers change what they get.</summary>
    public OpenApiSchema Schema() => _schema();

    private static OpenApiSchema Enumeration(IReadOnlyList<string> values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
    };
}

/// <summary>Endpoint metadata: how the OpenAPI document describes one of the route's parameters (<see cref="OpenApiParameters"/>).</summary>
/// <param name="Name">The parameter's name as the request spells it (<c>withinHours</c>, <c>api_key</c>).</param>
/// <param name="In">Where it is: the query or the path.</param>
/// <param name="Type">What it takes; null leaves the generated schema (route values, which are text).</param>
/// <param name="Description">One line on what it means, its range and its default.</param>
/// <param name="Required">Whether the service refuses the request without it.</param>
internal sealed record DocumentedParameter(string Name, ParameterLocation In, QueryType? Type, string Description, bool Required);

/// <summary>
/// Describes a route's parameters in the OpenAPI document, next to the route they belong to:
/// <c>.WithQueryParameter("withinHours", QueryType.Integer(1, 720), "…", required: true)</c>. The generator sees only
/// the handlers' <c>string?</c> parameters and would call every one an optional, untyped string.
/// </summary>
internal static class OpenApiParameters
{
    /// <summary>Documents the query parameter <paramref name="name"/> of the routes <paramref name="builder"/> maps.</summary>
    public static TBuilder WithQueryParameter<TBuilder>(this TBuilder builder, string name, QueryType type, string description, bool required = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DocumentedParameter(name, ParameterLocation.Query, type, description, required));

    /// <summary>Documents the route value <paramref name="name"/> (<c>{id}</c>) of the routes <paramref name="builder"/> maps.</summary>
    public static TBuilder WithRouteParameter<TBuilder>(this TBuilder builder, string name, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DocumentedParameter(name, ParameterLocation.Path, null, description, Required: true));

    /// <summary>
    /// Applies the route's <see cref="DocumentedParameter"/>s to its operation. A documented parameter the handler does
    /// not read, or a list documented as one value (or the other way round), fails the document: a typo here would
    /// otherwise leave the real parameter undocumented and add nothing.
    /// </summary>
    public static Task DescribeParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var lists = metadata.OfType<QueryParameters>().LastOrDefault()?.Lists ?? [];
        foreach (var documented in metadata.OfType<DocumentedParameter>())
        {
            var route = $"{context.Description.HttpMethod} /{context.Description.RelativePath}";
            var parameter = operation.Parameters?.OfType<OpenApiParameter>()
                .FirstOrDefault(p => p.In == documented.In && string.Equals(p.Name, documented.Name, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"{route} documents the {documented.In} parameter '{documented.Name}', which its handler does not read.");
            parameter.Description = documented.Description;
            parameter.Required = documented.Required;
            if (documented.Type is not { } type)
            {
                continue;
            }

            if (type.IsList != lists.Contains(documented.Name, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"{route} documents '{documented.Name}' as {(type.IsList ? "a list" : "one value")}, but its handler reads {(type.IsList ? "one value" : "a list")}.");
            }

            parameter.Schema = type.Schema();
            if (type.IsList)
            {
                parameter.Style = ParameterStyle.Form;
                parameter.Explode = false;
            }
        }

        return Task.CompletedTask;
    }
}
