using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace EventCase.Server.Tests.Http.ApiReference;

/// <summary>
/// Renders an OpenAPI 3.x document as one Markdown page: the operations grouped by tag (method, path, summary,
/// parameters, request body, responses), then every component schema with its properties. Types link to their
/// schema's heading. The output depends only on the document, in the document's own order (responses by status), so
/// the same document always renders the same bytes.
/// </summary>
internal static class OpenApiMarkdown
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];

    private sealed record Operation(string Method, string Path, JsonObject Node, JsonObject PathItem);

    public static string Render(JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var operations = Operations(document);
        var tags = TagOrder(document, operations);
        var schemas = (document["components"]?["schemas"] as JsonObject)?.Select(s => (Name: s.Key, Schema: s.Value as JsonObject ?? [])).ToList() ?? [];

        // Anchors follow GitHub's rule, allocated in page order so that repeated headings get -1, -2 like GitHub does.
        var anchors = new Anchors();
        var tagAnchors = new Dictionary<string, string>(StringComparer.Ordinal);
        var operationAnchors = new Dictionary<Operation, string>();
        foreach (var tag in tags)
        {
            tagAnchors[tag] = anchors.Allocate(tag);
            foreach (var operation in operations.Where(o => FirstTag(o) == tag))
            {
                operationAnchors[operation] = anchors.Allocate(Heading(operation));
            }
        }

        // Responses every operation may give, declared once (components/responses) and linked from each operation.
        var shared = (document["components"]?["responses"] as JsonObject)?.Select(r => (Name: r.Key, Response: r.Value as JsonObject ?? [])).ToList() ?? [];
        var sharedAnchor = shared.Count == 0 ? null : anchors.Allocate("Shared responses");
        var sharedAnchors = shared.ToDictionary(r => r.Name, r => anchors.Allocate(r.Name), StringComparer.Ordinal);
        var schemasAnchor = anchors.Allocate("Schemas");
        var schemaAnchors = schemas.ToDictionary(s => s.Name, s => anchors.Allocate(s.Name), StringComparer.Ordinal);
        var types = new TypeNames(schemaAnchors);

        var md = new StringBuilder();
        var info = document["info"] as JsonObject;
        md.Append("# API reference\n\n");
        md.Append("<!-- Generated from the service's OpenAPI document by tests/EventCase.Server.Tests/Http/ApiReference; do not edit by hand. -->\n\n");
        md.Append(CultureInfo.InvariantCulture, $"**{Text(info?["title"]) ?? "API"}** {Text(info?["version"])} · OpenAPI {Text(document["openapi"])} · ");
        md.Append("served at `/openapi/v1.json`, committed as [openapi.json](openapi.json). ");
        md.Append("Generated from that document, so it lists exactly what the service maps; the guide to routes, roles, auth, ");
        md.Append("the headers every route honours (`If-Match`, `Idempotency-Key`, `X-Correlation-Id`), idempotency and problem types ");
        md.Append("is [api.md](api.md). Regenerate after changing a route with\n");
        md.Append("`EVENTCASE_UPDATE_API_REFERENCE=1 dotnet test tests/EventCase.Server.Tests --filter FullyQualifiedName~ApiReferenceTests`.\n\n");
        if (Text(info?["description"]) is { } description)
        {
            md.Append(description).Append("\n\n");
        }

        md.Append("## Operations\n\n");
        foreach (var tag in tags)
        {
            md.Append(CultureInfo.InvariantCulture, $"- [{tag}](#{tagAnchors[tag]}): ");
            md.AppendJoin(" · ", operations.Where(o => FirstTag(o) == tag).Select(o => $"[`{o.Method.ToUpperInvariant()} {o.Path}`](#{operationAnchors[o]})"));
            md.Append('\n');
        }

        if (sharedAnchor is not null)
        {
            md.Append(CultureInfo.InvariantCulture, $"- [Shared responses](#{sharedAnchor})\n");
        }

        md.Append(CultureInfo.InvariantCulture, $"- [Schemas](#{schemasAnchor})\n");

        foreach (var tag in tags)
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {tag}\n");
            foreach (var operation in operations.Where(o => FirstTag(o) == tag))
            {
                RenderOperation(md, operation, types, sharedAnchors);
            }
        }

        if (sharedAnchor is not null)
        {
            md.Append("\n## Shared responses\n");
            foreach (var (name, response) in shared)
            {
                md.Append(CultureInfo.InvariantCulture, $"\n### {name}\n\n");
                md.Append(OneLine(Text(response["description"]) ?? "")).Append("\n\n");
                var content = Content(response).Select(c => $"`{c.MediaType}`" + (c.Content?["schema"] is { } schema ? " " + types.Of(schema) : "")).ToList();
                md.Append("Content: ").Append(content.Count == 0 ? "—" : string.Join(", ", content)).Append('\n');
                foreach (var (header, value) in response["headers"] as JsonObject ?? [])
                {
                    md.Append(CultureInfo.InvariantCulture, $"\nHeader `{header}`: {types.Of(value?["schema"])}. {OneLine(Text(value?["description"]) ?? "")}\n");
                }
            }
        }

        md.Append("\n## Schemas\n");
        foreach (var (name, schema) in schemas)
        {
            RenderSchema(md, name, schema, types);
        }

        return md.ToString();
    }

    private static void RenderOperation(StringBuilder md, Operation operation, TypeNames types, IReadOnlyDictionary<string, string> sharedAnchors)
    {
        var node = operation.Node;
        md.Append(CultureInfo.InvariantCulture, $"\n### {Heading(operation)}\n\n");
        if (Text(node["summary"]) is { } summary)
        {
            md.Append(OneLine(summary)).Append("\n\n");
        }

        if (Text(node["description"]) is { } description)
        {
            md.Append(description.Trim()).Append("\n\n");
        }

        var facts = new List<string>();
        if (Text(node["operationId"]) is { } id)
        {
            facts.Add($"Operation id `{id}`");
        }

        if (node["deprecated"]?.GetValue<bool>() == true)
        {
            facts.Add("**deprecated**");
        }

        if (facts.Count > 0)
        {
            md.AppendJoin(" · ", facts).Append(".\n\n");
        }

        // Path-level parameters apply to every operation of the path; the operation's own override them by name and place.
        var parameters = Parameters(operation.PathItem["parameters"]).Concat(Parameters(node["parameters"]))
            .GroupBy(p => (Text(p["name"]), Text(p["in"])))
            .Select(g => g.Last())
            .ToList();
        if (parameters.Count > 0)
        {
            md.Append("| parameter | in | type | required | description |\n| --- | --- | --- | --- | --- |\n");
            foreach (var parameter in parameters)
            {
                md.Append(CultureInfo.InvariantCulture,
                    $"| `{Text(parameter["name"])}` | {Text(parameter["in"])} | {Cell(ParameterType(parameter, types))} | {YesNo(parameter["required"])} | {Cell(Text(parameter["description"]) ?? "")} |\n");
            }

            md.Append('\n');
        }

        if (node["requestBody"] is JsonObject body)
        {
            md.Append(CultureInfo.InvariantCulture, $"Request body ({(body["required"]?.GetValue<bool>() == true ? "required" : "optional")}):");
            foreach (var (mediaType, content) in Content(body))
            {
                md.Append(CultureInfo.InvariantCulture, $" `{mediaType}` {types.Of(content?["schema"])};");
            }

            md.Length--;
            md.Append(".\n\n");
        }

        if (node["responses"] is JsonObject responses)
        {
            md.Append("| status | description | content |\n| --- | --- | --- |\n");
            foreach (var (status, response) in responses.OrderBy(r => r.Key == "default" ? 1 : 0).ThenBy(r => r.Key, StringComparer.Ordinal))
            {
                if (Text(response?["$ref"]) is { } reference && reference.StartsWith(ResponseRefPrefix, StringComparison.Ordinal)
                    && sharedAnchors.TryGetValue(reference[ResponseRefPrefix.Length..], out var anchor))
                {
                    md.Append(CultureInfo.InvariantCulture, $"| {status} | [{reference[ResponseRefPrefix.Length..]}](#{anchor}) | — |\n");
                    continue;
                }

                var content = Content(response as JsonObject).Select(c => $"`{c.MediaType}`" + (c.Content?["schema"] is { } schema ? " " + types.Of(schema) : "")).ToList();
                md.Append(CultureInfo.InvariantCulture,
                    $"| {status} | {Cell(Text(response?["description"]) ?? "")} | {Cell(content.Count == 0 ? "—" : string.Join("<br>", content))} |\n");
            }
        }
    }

    /// <summary>
    /// A parameter's type with what a caller must know to send it: a list sent as one comma-separated value
    /// (<c>explode: false</c>), the range, the longest text and the default. Query values are typed only by the
    /// document (the handlers read text), so this is the one place a reader of the page learns them.
    /// </summary>
    private static string ParameterType(JsonObject parameter, TypeNames types)
    {
        var type = types.Of(parameter["schema"]);
        if (parameter["schema"] is not JsonObject schema)
        {
            return type;
        }

        if (parameter["explode"] is JsonValue explode && !explode.GetValue<bool>() && type.StartsWith("array of ", StringComparison.Ordinal))
        {
            type = "comma-separated list of " + type["array of ".Length..];
        }

        var facts = new List<string>();
        var minimum = schema["minimum"]?.ToJsonString();
        var maximum = schema["maximum"]?.ToJsonString();
        if (minimum is not null && maximum is not null)
        {
            facts.Add($"{minimum}–{maximum}");
        }
        else if (minimum is not null || maximum is not null)
        {
            facts.Add(minimum is not null ? $"at least {minimum}" : $"at most {maximum}");
        }

        if (schema["maxLength"] is { } maxLength)
        {
            facts.Add($"at most {maxLength.ToJsonString()} characters");
        }

        if (schema["default"] is { } defaultValue)
        {
            facts.Add($"default `{defaultValue.ToJsonString().Trim('"')}`");
        }

        return facts.Count == 0 ? type : type + ", " + string.Join(", ", facts);
    }

    private static void RenderSchema(StringBuilder md, string name, JsonObject schema, TypeNames types)
    {
        md.Append(CultureInfo.InvariantCulture, $"\n### {name}\n\n");
        if (Text(schema["description"]) is { } description)
        {
            md.Append(description.Trim()).Append("\n\n");
        }

        if (schema["properties"] is not JsonObject properties || properties.Count == 0)
        {
            md.Append(types.Describe(schema)).Append(".\n");
            return;
        }

        var required = (schema["required"] as JsonArray)?.Select(Text).ToHashSet(StringComparer.Ordinal) ?? [];
        md.Append("| property | type | required | description |\n| --- | --- | --- | --- |\n");
        foreach (var (property, propertySchema) in properties)
        {
            md.Append(CultureInfo.InvariantCulture,
                $"| `{property}` | {Cell(types.Of(propertySchema))} | {(required.Contains(property) ? "yes" : "no")} | {Cell(Text(propertySchema?["description"]) ?? "")} |\n");
        }

        if (schema["additionalProperties"] is JsonObject additional)
        {
            md.Append(CultureInfo.InvariantCulture, $"\nOther properties: {types.Of(additional)}.\n");
        }
    }

    private static List<Operation> Operations(JsonObject document)
    {
        var operations = new List<Operation>();
        foreach (var (path, item) in document["paths"] as JsonObject ?? [])
        {
            if (item is not JsonObject pathItem)
            {
                continue;
            }

            foreach (var (method, operation) in pathItem)
            {
                if (Methods.Contains(method, StringComparer.Ordinal) && operation is JsonObject node)
                {
                    operations.Add(new Operation(method, path, node, pathItem));
                }
            }
        }

        return operations;
    }

    private static List<string> TagOrder(JsonObject document, List<Operation> operations)
    {
        // The document's tag list first (its order is the service's), then tags only operations name, then untagged.
        var declared = (document["tags"] as JsonArray)?.Select(t => Text(t?["name"])).OfType<string>() ?? [];
        return declared.Concat(operations.Select(FirstTag)).Distinct(StringComparer.Ordinal)
            .Where(tag => operations.Any(o => FirstTag(o) == tag))
            .ToList();
    }

    private static string FirstTag(Operation operation) => Text((operation.Node["tags"] as JsonArray)?.FirstOrDefault()) ?? "Other";

    private static string Heading(Operation operation) => $"`{operation.Method.ToUpperInvariant()} {operation.Path}`";

    private static IEnumerable<JsonObject> Parameters(JsonNode? parameters) => (parameters as JsonArray)?.OfType<JsonObject>() ?? [];

    private const string ResponseRefPrefix = "#/components/responses/";

    private static IEnumerable<(string MediaType, JsonNode? Content)> Content(JsonObject? owner) =>
        (owner?["content"] as JsonObject)?.Select(c => (c.Key, c.Value)) ?? [];

    private static string YesNo(JsonNode? flag) => flag?.GetValue<bool>() == true ? "yes" : "no";

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) ? text : null;

    private static string OneLine(string text) => string.Join(' ', text.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Cell(string text) => OneLine(text).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered.</summary>
    private sealed class Anchors
    {
        private readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

        public string Allocate(string heading)
        {
            var slug = new StringBuilder();
            foreach (var c in heading.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            var anchor = slug.ToString();
            if (_seen.TryGetValue(anchor, out var count))
            {
                _seen[anchor] = count + 1;
                return $"{anchor}-{count}";
            }

            _seen[anchor] = 1;
            return anchor;
        }
    }

    /// <summary>A schema as a short phrase: <c>string</c>, <c>array of [CaseView](#caseview)</c>, <c>integer (int64) or null</c>.</summary>
    private sealed class TypeNames(Dictionary<string, string> schemaAnchors)
    {
        private const string RefPrefix = "#/components/schemas/";

        public string Of(JsonNode? node) => node is JsonObject schema ? Describe(schema) : "any";

        public string Describe(JsonObject schema)
        {
            if (Text(schema["$ref"]) is { } reference)
            {
                var name = reference.StartsWith(RefPrefix, StringComparison.Ordinal) ? reference[RefPrefix.Length..] : reference;
                return schemaAnchors.TryGetValue(name, out var anchor) ? $"[{name}](#{anchor})" : $"`{name}`";
            }

            foreach (var combinator in new[] { "oneOf", "anyOf" })
            {
                if (schema[combinator] is JsonArray choices)
                {
                    var nullable = choices.Any(c => c is JsonObject o && Text(o["type"]) == "null");
                    var named = choices.OfType<JsonObject>().Where(o => Text(o["type"]) != "null").Select(Describe).Distinct(StringComparer.Ordinal).ToList();
                    return string.Join(" or ", named.Append(nullable ? "null" : null).OfType<string>());
                }
            }

            if (schema["allOf"] is JsonArray all)
            {
                return string.Join(" and ", all.OfType<JsonObject>().Select(Describe));
            }

            if (schema["enum"] is JsonArray values)
            {
                var nullable = values.Any(v => v is null);
                var listed = string.Join(", ", values.Where(v => v is not null).Select(v => $"`{v!.ToJsonString().Trim('"')}`"));
                return "one of " + listed + (nullable ? ", or null" : "");
            }

            var typeNames = schema["type"] switch
            {
                JsonArray many => many.Select(Text).OfType<string>().ToList(),
                JsonValue one when Text(one) is { } single => [single],
                _ => [],
            };
            var isNullable = typeNames.Remove("null");

            var described = typeNames.Select(t => t switch
            {
                "array" => "array of " + Of(schema["items"]),
                "object" when schema["additionalProperties"] is JsonObject values => "map of string to " + Describe(values),
                _ when Text(schema["format"]) is { } format => $"{t} ({format})",
                _ => t,
            }).ToList();
            if (described.Count == 0)
            {
                described.Add(schema["properties"] is JsonObject ? "object" : "any");
            }

            return string.Join(" or ", described) + (isNullable ? " or null" : "");
        }
    }
}
