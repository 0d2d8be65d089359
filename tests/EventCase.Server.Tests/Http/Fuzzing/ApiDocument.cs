using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>
/// The committed OpenAPI document (<c>docs/openapi.json</c>, which ApiReferenceTests keeps equal to what the service
/// serves) read as the list of operations to probe: whatever route is added later is probed without a change here.
/// </summary>
internal static class ApiDocument
{
    private static readonly Lazy<JsonObject> Document = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "openapi.json")))!.AsObject());

    /// <summary>Every operation of the document, in its order.</summary>
    public static IReadOnlyList<ApiOperation> Operations { get; } = Read();

    /// <summary>The schema a <c>$ref</c> points at, or the schema itself.</summary>
    public static JsonObject Resolve(JsonObject schema)
    {
        while (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            schema = Document.Value["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!.AsObject();
        }

        return schema;
    }

    /// <summary>The name of the component a <c>$ref</c> names, or null.</summary>
    public static string? NameOf(JsonObject schema) =>
        schema["$ref"]?.GetValue<string>() is { } reference ? reference["#/components/schemas/".Length..] : null;

    /// <summary>What a member's schema takes, with <c>oneOf [null, $ref]</c> and <c>type: [null, …]</c> unwrapped.</summary>
    public static SchemaShape Shape(JsonObject schema)
    {
        var nullable = false;
        if (schema["oneOf"] is JsonArray oneOf)
        {
            nullable = oneOf.Any(s => s!["type"]?.GetValue<string>() == "null");
            var inner = oneOf.First(s => s!["type"]?.GetValue<string>() != "null")!.AsObject();
            var shape = Shape(inner);
            return shape with { Nullable = shape.Nullable || nullable };
        }

        var named = NameOf(schema);
        var resolved = Resolve(schema);
        if (resolved["enum"] is JsonArray values)
        {
            var names = values.Where(v => v is not null).Select(v => v!.GetValue<string>()).ToList();
            return new SchemaShape(SchemaKind.Enum, values.Any(v => v is null), resolved, named) { EnumValues = names };
        }

        string? type = null;
        switch (resolved["type"])
        {
            case JsonArray types:
                nullable = types.Any(t => t!.GetValue<string>() == "null");
                type = types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null");
                break;
            case JsonValue single:
                type = single.GetValue<string>();
                break;
        }

        var kind = type switch
        {
            "string" => SchemaKind.String,
            "integer" => SchemaKind.Integer,
            "number" => SchemaKind.Number,
            "boolean" => SchemaKind.Boolean,
            "array" => SchemaKind.Array,
            "object" when resolved["additionalProperties"] is JsonObject => SchemaKind.Map,
            "object" => SchemaKind.Object,
            _ => SchemaKind.Any,
        };
        return new SchemaShape(kind, nullable, resolved, named);
    }

    private static List<ApiOperation> Read()
    {
        var operations = new List<ApiOperation>();
        foreach (var (path, item) in Document.Value["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var parameters = (operation!["parameters"] as JsonArray ?? [])
                    .Select(p => new ApiParameter(
                        p!["name"]!.GetValue<string>(), p["in"]!.GetValue<string>(), p["required"]?.GetValue<bool>() ?? false,
                        Shape(p["schema"]?.AsObject() ?? [])))
                    .ToList();
                var json = operation["requestBody"]?["content"]?["application/json"]?["schema"]?.AsObject();
                operations.Add(new ApiOperation(method.ToUpperInvariant(), path, operation["operationId"]?.GetValue<string>() ?? "", operation["summary"]?.GetValue<string>() ?? "", parameters,
                    json is null ? null : Shape(json)));
            }
        }

        return operations;
    }

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        for (var directory = Path.GetDirectoryName(sourceFile); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "EventCase.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException($"No EventCase.sln above {sourceFile}: the test must run from a source checkout.");
    }
}

/// <summary>One operation of the document.</summary>
internal sealed record ApiOperation(
    string Method, string Path, string OperationId, string Summary, IReadOnlyList<ApiParameter> Parameters, SchemaShape? JsonBody)
{
    public override string ToString() => $"{Method} {Path}";
}

/// <summary>A path or query parameter.</summary>
internal sealed record ApiParameter(string Name, string In, bool Required, SchemaShape Shape);

/// <summary>What JSON a schema takes.</summary>
internal enum SchemaKind
{
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Enum,
    Object,
    Array,
    Map,
}

/// <summary>A schema as the fuzzer needs it: its kind, whether null is allowed, and the resolved schema.</summary>
internal sealed record SchemaShape(SchemaKind Kind, bool Nullable, JsonObject Schema, string? Name)
{
    public IReadOnlyList<string> EnumValues { get; init; } = [];

    public string? Format => Schema["format"]?.GetValue<string>();

    public long? Minimum => Schema["minimum"]?.GetValue<long>();

    public long? Maximum => Schema["maximum"]?.GetValue<long>();

    /// <summary>The members of an object, each with whether it is required.</summary>
    public IEnumerable<(string Name, SchemaShape Shape, bool Required)> Members()
    {
        var required = (Schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, member) in Schema["properties"] as JsonObject ?? [])
        {
            yield return (name, ApiDocument.Shape(member!.AsObject()), required.Contains(name));
        }
    }

    /// <summary>The schema of an array's items or a map's values.</summary>
    public SchemaShape? Items => Kind switch
    {
        SchemaKind.Array => Schema["items"] is JsonObject items ? ApiDocument.Shape(items) : null,
        SchemaKind.Map => Schema["additionalProperties"] is JsonObject values ? ApiDocument.Shape(values) : null,
        _ => null,
    };
}
