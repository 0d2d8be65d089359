using System.Net;
using System.Text.Json.Nodes;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EventCase.Server.Tests.Http;

public sealed class OpenApiAndHealthTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_openapi_document_lists_every_route_with_its_error_responses()
    {
        using var client = server.Client();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await ServerFixture.ReadJsonAsync(response);
        var paths = document["paths"]!.AsObject();

        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null)
            .Select(e => (Path: "/" + (e.RoutePattern.RawText ?? "").Trim('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods))
            .Where(r => !r.Path.StartsWith("/openapi", StringComparison.Ordinal))
            .ToList();
        Assert.True(routes.Count > 50, $"only {routes.Count} routes found");
        foreach (var (path, methods) in routes)
        {
            var documented = paths.FirstOrDefault(p => string.Equals(p.Key.TrimEnd('/'), path.TrimEnd('/'), StringComparison.Ordinal)).Value;
            Assert.True(documented is not null, $"{path} is not in the OpenAPI document");
            // Every GET also takes HEAD, which the document leaves out as OpenAPI documents do (docs/api.md, "HEAD").
            foreach (var method in methods.Where(m => !Microsoft.AspNetCore.Http.HttpMethods.IsHead(m)))
            {
                var operation = documented![method.ToLowerInvariant()];
                Assert.True(operation is not null, $"{method} {path} is not in the OpenAPI document");
                if (path.StartsWith("/cases", StringComparison.Ordinal) || path.StartsWith("/admin", StringComparison.Ordinal))
                {
                    var responses = operation!["responses"]!.AsObject();
                    Assert.True(responses.ContainsKey("401") && responses.ContainsKey("403"), $"{method} {path} documents no auth errors");
                    Assert.Contains(responses, r => r.Key.StartsWith('4') && r.Value!["content"]?["application/problem+json"] is not null);
                }
            }
        }

        var open = paths["/cases"]!["post"]!["responses"]!.AsObject();
        Assert.True(open.ContainsKey("201") && open.ContainsKey("400") && open.ContainsKey("422") && open.ContainsKey("413"));
        var assign = paths["/cases/{id}/assign"]!["post"]!["responses"]!.AsObject();
        Assert.True(assign.ContainsKey("412") && assign.ContainsKey("409") && assign.ContainsKey("404"));
    }

    [Fact]
    public async Task Every_operation_with_a_route_value_or_query_parameter_documents_the_400_its_values_can_get()
    {
        // Every route value and query parameter is checked before the handler runs (a control character in an id, a
        // parameter given twice): a 400 any such operation can answer, which a client generated from the document must expect.
        using var client = server.Client();
        var document = await ServerFixture.ReadJsonAsync(await client.GetAsync("/openapi/v1.json"));
        var undocumented = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (operation?["parameters"] is JsonArray { Count: > 0 } && operation["responses"]?["400"] is null)
                {
                    undocumented.Add($"{method.ToUpperInvariant()} {path}");
                }
            }
        }

        Assert.Empty(undocumented);
    }

    [Fact]
    public async Task Every_operation_that_reads_the_database_documents_the_503_with_retry_after_and_every_operation_the_500()
    {
        // What a client generated from the document must handle besides each route's own answers: the database being
        // unreachable (a restart, a failover, an exhausted pool) and the unexpected. Declared once, referenced by each.
        using var client = server.Client();
        var document = await ServerFixture.ReadJsonAsync(await client.GetAsync("/openapi/v1.json"));
        var shared = document["components"]!["responses"]!.AsObject();
        var missing = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var responses = operation!["responses"]!.AsObject();
                var withoutDatabase = path is "/health/live" or "/dev/token";
                foreach (var status in withoutDatabase ? ["500"] : new[] { "500", "503" })
                {
                    var response = responses[status] is { } r && r["$ref"]?.GetValue<string>() is { } reference
                        ? shared[reference["#/components/responses/".Length..]]
                        : responses[status];
                    if (response is null || (status == "503" && path != "/health/ready" && response["headers"]?["Retry-After"] is null))
                    {
                        missing.Add($"{status} of {method.ToUpperInvariant()} {path}");
                    }
                }
            }
        }

        Assert.Empty(missing);
        Assert.NotNull(shared["ServiceUnavailable"]!["content"]!["application/problem+json"]);
    }

    [Fact]
    public async Task Every_array_in_the_openapi_document_says_what_its_items_are()
    {
        using var client = server.Client();
        using var response = await client.GetAsync("/openapi/v1.json");
        var document = await ServerFixture.ReadJsonAsync(response);
        var untyped = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            if (node is JsonObject obj)
            {
                var type = obj["type"];
                var isArray = type is JsonValue v && v.ToString() == "array" || type is JsonArray a && a.Any(t => t?.ToString() == "array");
                if (isArray && obj["items"] is null)
                {
                    untyped.Add(path);
                }

                foreach (var (key, child) in obj)
                {
                    Walk(child, path + "/" + key);
                }
            }
            else if (node is JsonArray array)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], $"{path}[{i}]");
                }
            }
        }

        Walk(document, string.Empty);

        Assert.Empty(untyped);
        var holidays = document["components"]!["schemas"]!["CalendarDefinition"]!["properties"]!["holidays"]!["items"]!;
        Assert.Equal(("string", "date"), (holidays["type"]!.ToString(), holidays["format"]!.ToString()));
    }

    [Fact]
    public async Task The_fields_the_document_says_a_request_requires_are_the_ones_the_service_refuses_to_go_without()
    {
        using var anonymous = server.Client();
        using var documentResponse = await anonymous.GetAsync("/openapi/v1.json");
        var document = await ServerFixture.ReadJsonAsync(documentResponse);
        var schemas = document["components"]!["schemas"]!.AsObject();
        static List<string> Required(JsonNode schema) =>
            [.. (schema["required"]?.AsArray() ?? []).Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal)];

        // Nothing required may be null: a required field is refused when missing and when null alike.
        foreach (var (name, schema) in schemas)
        {
            foreach (var field in Required(schema!))
            {
                var property = schema!["properties"]![field]!;
                var nullable = property["type"] is JsonArray types && types.Any(t => t!.GetValue<string>() == "null")
                    || property["oneOf"] is JsonArray alternatives && alternatives.Any(a => a?["type"]?.GetValue<string>() == "null");
                Assert.False(nullable, $"{name}.{field} is required but may be null");
            }
        }

        // Every case command, sent with an empty body: the fields it names as required are the ones documented (each
        // command has a request shape of its own where they differ: a reason is needed to reopen or cancel, not to
        // unassign).
        var caseId = await server.OpenCaseAsync();
        using var supervisor = server.Client(EventCase.Server.Auth.Roles.Supervisor);
        var endpoints = document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/cases/{id}/", StringComparison.Ordinal) && p.Value!["post"]?["requestBody"] is not null)
            .Select(p => (Path: p.Key, Schema: p.Value!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().Split('/')[^1]))
            .ToList();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} case commands found");
        foreach (var (path, schemaName) in endpoints)
        {
            using var response = await supervisor.PostAsync(path.Replace("{id}", caseId, StringComparison.Ordinal), ServerFixture.Json("{}"));
            var body = await ServerFixture.ReadJsonAsync(response);
            var refused = body["errors"]?.AsObject().Where(e => e.Value!.AsArray().Any(m => m!.GetValue<string>() == "is required.")).Select(e => e.Key) ?? [];
            var expected = Required(schemas[schemaName]!);
            Assert.True(expected.SequenceEqual(refused.Order(StringComparer.Ordinal)), $"{path} ({schemaName}): documented {string.Join(",", expected)}, refused {string.Join(",", refused)}");

            // A body is documented as required exactly when the command requires some of it: without one, it reads as {}.
            var bodyRequired = document["paths"]![path]!["post"]!["requestBody"]!["required"]?.GetValue<bool>() ?? false;
            Assert.True(bodyRequired == expected.Count > 0, $"{path} ({schemaName}): body documented as {(bodyRequired ? "required" : "optional")}");
        }

        // The catalog and routing writes likewise: a service's code and a rule's id are required to add one, and taken
        // from the path to change one.
        using var admin = server.Client(EventCase.Server.Auth.Roles.Admin);
        foreach (var (method, path, schemaName) in new[]
                 {
                     ("post", "/admin/services", "NewServiceRequest"), ("put", "/admin/services/{code}", "ServiceRequest"),
                     ("post", "/admin/routing/rules", "NewRoutingRuleRequest"), ("put", "/admin/routing/rules/{ruleId}", "RoutingRuleRequest"),
                 })
        {
            var documented = document["paths"]![path]![method]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().Split('/')[^1];
            Assert.Equal(schemaName, documented);
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path.Replace("{code}", "pothole", StringComparison.Ordinal).Replace("{ruleId}", "some-rule", StringComparison.Ordinal))
            {
                Content = ServerFixture.Json("{}"),
            };
            using var response = await admin.SendAsync(request);
            var body = await ServerFixture.ReadJsonAsync(response);
            List<string> refused = [.. (body["errors"]?.AsObject() ?? []).Where(e => e.Value!.AsArray().Any(m => m!.GetValue<string>() == "is required.")).Select(e => e.Key).Order(StringComparer.Ordinal)];
            Assert.True(Required(schemas[schemaName]!).SequenceEqual(refused), $"{method} {path} ({schemaName}): documented {string.Join(",", Required(schemas[schemaName]!))}, refused {string.Join(",", refused)} ({(int)response.StatusCode})");
        }

        using var agent = server.Client(EventCase.Server.Auth.Roles.Agent);
        using var open = await agent.PostAsync("/cases", ServerFixture.Json("{}"));
        var openErrors = (await ServerFixture.ReadJsonAsync(open))["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["description", "service"], Required(schemas["OpenCaseRequest"]!));
        Assert.Equal(["description", "service"], openErrors);
    }

    [Fact]
    public async Task Health_live_and_ready_report_the_database_schema_and_projections()
    {
        using var client = server.Client();
        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await client.GetAsync("/health/ready");
        var report = await ServerFixture.ReadJsonAsync(ready);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = report["checks"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("database", checks);
        Assert.Contains("schema", checks);
        Assert.Contains("projection:case_summary", checks);
        Assert.Contains("projection:audit_trail", checks);
    }
}
