using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>
/// Every operation of the OpenAPI document, sent hostile variants of a valid request through the real pipeline, with a
/// token of a role it takes and of the roles it does not: the body not JSON or of the wrong root type, each member
/// missing, of the wrong type, null, blank, huge, with control or invisible characters; path values too long or with
/// encoded NULs and slashes; query values out of range, unknown, repeated, forged cursors; bad concurrency headers.
/// Each answer is a 4xx problem of a stable type (never a 5xx) that names the field at fault, and a refused request
/// leaves the log and the streams as they were. A route added later is probed without a change here.
/// </summary>
public sealed class OpenApiFuzzTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string ServiceCode = "fuzz-svc";
    private const string RuleId = "fuzz-rule";

    /// <summary>A valid body for each request schema the document names; others are made from their schema.</summary>
    private static readonly Dictionary<string, string> Examples = new(StringComparer.Ordinal)
    {
        ["OpenCaseRequest"] = """{"service":"pothole","description":"A hole","citizen":{"reference":"citizen-1","name":"Ann","email":"ann@example.org","phone":"555"},"location":{"latitude":42.35,"longitude":-71.06,"address":"1 Main St"},"channel":"web","attributes":{"depth":["deep"]}}""",
        ["AssignRequest"] = """{"team":"roads","agent":"bob"}""",
        ["ReasonRequest"] = """{"reason":"Why"}""",
        ["RequestInformationRequest"] = """{"question":"Where?","via":"email"}""",
        ["InformationReceivedRequest"] = """{"response":"Here","via":"phone"}""",
        ["AddNoteRequest"] = """{"text":"Hi","visibility":"public"}""",
        ["RecordContactRequest"] = """{"direction":"inbound","channel":"phone","summary":"Call"}""",
        ["EscalationRequest"] = """{"toLevel":1,"reason":"Why"}""",
        ["ChangePriorityRequest"] = """{"to":"urgent","reason":"Why"}""",
        ["TransferRequest"] = """{"toAgency":"other-town","reason":"Why","service":"pothole","attributes":{}}""",
        ["ResolveRequest"] = """{"resolutionCode":"done","publicSummary":"Done"}""",
        ["RequiredReasonRequest"] = """{"reason":"Why"}""",
        ["MarkDuplicateRequest"] = """{"originalCaseId":"{other}"}""",
        ["LinkRequest"] = """{"caseId":"{other}"}""",
        ["FeedbackRequest"] = """{"satisfaction":4,"comment":"Good"}""",
        ["NewServiceRequest"] = """{"code":"fuzz-new","name":"New","description":"d","defaultPriority":"normal","slaHours":5,"attributes":[{"code":"a","datatype":"singleValueList","required":false,"description":"A","order":1,"values":[{"key":"k","name":"K"}],"variable":true}],"group":"g","keywords":["k"]}""",
        ["ServiceRequest"] = """{"code":"fuzz-svc","name":"Fuzz","description":"d","defaultPriority":"normal","slaHours":5,"attributes":[{"code":"a","datatype":"singleValueList","required":false,"description":"A","order":1,"values":[{"key":"k","name":"K"}],"variable":true}],"group":"g","keywords":["k"]}""",
        ["RetireServiceRequest"] = """{"reason":"Why"}""",
        ["NewRoutingRuleRequest"] = """{"ruleId":"fuzz-new-rule","priority":5,"services":["pothole"],"area":{"name":"a","south":42,"west":-72,"north":43,"east":-71},"team":"roads"}""",
        ["RoutingRuleRequest"] = """{"ruleId":"fuzz-rule","priority":5,"services":["pothole"],"area":{"name":"a","south":42,"west":-72,"north":43,"east":-71},"team":"roads"}""",
        ["DefaultRouteRequest"] = """{"team":"street-team"}""",
        ["CalendarDefinition"] = """{"zone":"America/New_York","hours":[{"day":"monday","start":"08:00:00","end":"17:00:00"}],"holidays":["2026-12-25"]}""",
        ["DevTokenRequest"] = """{"subject":"alice","role":"agent","agency":"demo-city","citizen":null,"lifetimeMinutes":5}""",
    };

    /// <summary>Values for required query parameters, by name; others are made from their schema.</summary>
    private static readonly Dictionary<string, string> QueryExamples = new(StringComparer.Ordinal)
    {
        ["withinHours"] = "24",
        ["from"] = "2026-01-01T00:00:00Z",
        ["to"] = "2026-02-01T00:00:00Z",
    };

    /// <summary>The operations of the JSON API (Open311 has its own error format and its own fuzzer).</summary>
    public static TheoryData<string, string> Operations =>
        new(ApiDocument.Operations.Where(o => !o.Path.StartsWith("/open311/", StringComparison.Ordinal)).Select(o => (o.Method, o.Path)));

    [Fact]
    public void The_document_has_operations_to_probe() =>
        Assert.True(ApiDocument.Operations.Count >= 50, $"Only {ApiDocument.Operations.Count} operations were read from docs/openapi.json.");

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Every_hostile_variant_of_an_operation_is_a_4xx_problem_naming_the_field_that_writes_nothing(string method, string path)
    {
        var operation = ApiDocument.Operations.Single(o => o.Method == method && o.Path == path);
        var target = await PrepareAsync(operation);
        var run = await FuzzRun.StartAsync(server, operation.ToString());
        var agency = AgencyFor(operation);
        foreach (var request in target.Variants())
        {
            var (status, failure) = await SendAndCheckAsync(request, agency);
            await run.CheckAsync(request, status, failure);
        }

        run.ThrowIfAnyFailed();
    }

    /// <summary>The reads of the JSON API, each of which also takes HEAD (docs/api.md, "HEAD"), though the document lists GET only.</summary>
    public static TheoryData<string> Reads =>
        new(ApiDocument.Operations.Where(o => o.Method == "GET" && !o.Path.StartsWith("/open311/", StringComparison.Ordinal)).Select(o => o.Path));

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Head_of_every_read_the_document_lists_answers_as_its_get_does(string path)
    {
        var target = await PrepareAsync(ApiDocument.Operations.Single(o => o.Method == "GET" && o.Path == path));
        using var client = server.Client(target.Anonymous ? null : target.Role);

        using var get = await client.GetAsync(target.Url(), TestContext.Current.CancellationToken);
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, target.Url()), TestContext.Current.CancellationToken);

        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(get.Headers.CacheControl, head.Headers.CacheControl);
    }

    /// <summary>
    /// The agency an operation is probed in. An admin write's variants that are accepted (a service coded "NaN", a
    /// calendar of another zone) stay in the catalog, routing or calendar of its agency; in the agency the other
    /// operations are probed in, a later variant of POST /cases naming service "NaN" would find one (CI met it when the
    /// theory's cases ran in another order).
    /// </summary>
    private static string AgencyFor(ApiOperation operation) => IsAdminWrite(operation) ? AdminAgency : AgencyA;

    private const string AdminAgency = "fuzz-admin";

    private static bool IsAdminWrite(ApiOperation operation) =>
        operation.Path.StartsWith("/admin/", StringComparison.Ordinal) && operation.Method != "GET" && !operation.Path.EndsWith("/rebuild", StringComparison.Ordinal);

    private async Task<(int Status, string? Failure)> SendAndCheckAsync(HostileRequest request, string agency)
    {
        using var client = server.Client();
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.PathAndQuery);
        if (request.Role is { } role)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
                server.Token(role, agency, citizen: role == Roles.Citizen ? "citizen-1" : null));
        }

        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                throw new InvalidOperationException($"The header {name} could not be added.");
            }
        }

        if (request.Body is { } body)
        {
            message.Content = new ByteArrayContent(body);
            if (request.ContentType is { } contentType)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        using var response = await client.SendAsync(message, TestContext.Current.CancellationToken);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (status, Check(request, status, response, text));
    }

    private static string? Check(HostileRequest request, int status, HttpResponseMessage response, string text)
    {
        var shown = text.Length > 300 ? text[..300] + "…" : text;
        if (status >= 500)
        {
            return $"{status} {shown}";
        }

        switch (request.Expect)
        {
            case Expectation.Forbidden when status != 403:
                return $"{status}, not 403: {shown}";
            case Expectation.Unauthenticated when status != 401:
                return $"{status}, not 401: {shown}";
            case Expectation.Refused when status < 400:
                return $"{status}: taken, not refused: {shown}";
            case Expectation.Refused when request.Strict && status is not (400 or 413 or 415 or 422):
                return $"{status}, not a 400, 413, 415 or 422: {shown}";
        }

        if (status < 400)
        {
            return null;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} as {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not a problem: {shown}";
        }

        JsonNode? problem;
        try
        {
            problem = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{status} with a problem body that is no JSON: {shown}";
        }

        var type = problem?["type"]?.GetValue<string>();
        var code = problem?["code"]?.GetValue<string>();
        if (type is null || !type.StartsWith("https://eventcase.dev/problems/", StringComparison.Ordinal) || code is null || !type.EndsWith("/" + code, StringComparison.Ordinal))
        {
            return $"{status} without a stable type and code: {shown}";
        }

        if (text.Contains("Exception", StringComparison.Ordinal) || text.Contains("EventCase.", StringComparison.Ordinal) || text.Contains("System.", StringComparison.Ordinal))
        {
            return $"{status} that shows internals: {shown}";
        }

        // catalog.invalid-definition is the catalog's own verdict on the definition as a whole (an attribute's datatype
        // against its values), given as a sentence without errors (docs/api.md).
        if (request.Field is { } field && status is 400 or 422 && code != "catalog.invalid-definition")
        {
            var errors = problem!["errors"] as JsonObject;
            if (errors is null || !errors.Any(e => Names(e.Key, field)))
            {
                return $"{status} that does not name '{field}': {shown}";
            }

            if (errors.Any(e => e.Key.Length > 200))
            {
                return $"{status} naming a field of {errors.Max(e => e.Key.Length)} characters: {shown}";
            }
        }

        return null;
    }

    /// <summary>The field at fault, a member within it, or the member or object that holds it.</summary>
    private static bool Names(string key, string field) =>
        key == field
        || key.StartsWith(field + ".", StringComparison.Ordinal) || key.StartsWith(field + "[", StringComparison.Ordinal)
        || field.StartsWith(key + ".", StringComparison.Ordinal) || field.StartsWith(key + "[", StringComparison.Ordinal)
        || string.Equals(key, field, StringComparison.OrdinalIgnoreCase);

    private async Task<OperationUnderTest> PrepareAsync(ApiOperation operation)
    {
        await EnsureAdminFixturesAsync(AgencyA);
        await EnsureAdminFixturesAsync(AgencyFor(operation));
        var id = await server.OpenCaseAsync();
        var other = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
        var target = new OperationUnderTest(operation);
        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            target.PathValues[parameter.Name] = parameter.Name switch
            {
                "id" or "token" => id,
                "number" => number,
                "code" => ServiceCode,
                "ruleId" => RuleId,
                "actorId" => "alice",
                "format" => "json",
                _ => "x",
            };
        }

        foreach (var parameter in operation.Parameters.Where(p => p.In == "query" && p.Required))
        {
            target.QueryValues[parameter.Name] = QueryExamples.GetValueOrDefault(parameter.Name)
                ?? OperationUnderTest.Sample(parameter.Shape)?.ToString() ?? "x";
        }

        if (operation.Path.EndsWith("/as-of", StringComparison.Ordinal))
        {
            // Time travel takes exactly one of its two optional parameters: without one, every variant (a bad If-Match
            // among them) would be the same 400 naming version, and what the variant changed would go unprobed.
            target.QueryValues["version"] = "1";
        }

        if (operation.JsonBody is { } body)
        {
            var example = body.Name is { } name && Examples.TryGetValue(name, out var json)
                ? json.Replace("{other}", other, StringComparison.Ordinal)
                : OperationUnderTest.Sample(body)!.ToJsonString();
            target.Body = JsonNode.Parse(example)!.AsObject();
        }

        // docs/api.md: case commands say so in their summary; every admin write to the catalog, routing or calendar
        // honours both; opening a case takes an Idempotency-Key only.
        var adminWrite = IsAdminWrite(operation);
        target.HonoursIfMatch = adminWrite || operation.Summary.Contains("If-Match", StringComparison.Ordinal);
        target.HonoursIdempotencyKey = adminWrite || operation.Summary.Contains("Idempotency-Key", StringComparison.Ordinal);

        var roles = await AllowedRolesAsync(operation);
        target.Anonymous = roles is null;
        if (roles is not null)
        {
            target.Role = roles.Contains(Roles.Admin) ? Roles.Admin : roles[0];
            target.OtherAllowedRoles = roles.Where(r => r != target.Role).ToList();
            target.ForbiddenRoles = Roles.All.Where(r => !roles.Contains(r)).ToList();
        }

        if (operation.Parameters.Any(p => p.Name == "cursor"))
        {
            await server.OpenCaseAsync();
            using var client = server.Client(target.Role);
            var page = await ReadJsonAsync(await client.GetAsync(target.Url(query: [("limit", "1")])));
            target.RealCursor = page["nextCursor"]?.GetValue<string>();
            Assert.NotNull(target.RealCursor);
        }

        return target;
    }

    /// <summary>The roles the operation's policies take, from the endpoint itself; null for an anonymous operation.</summary>
    private async Task<List<string>?> AllowedRolesAsync(ApiOperation operation)
    {
        var endpoint = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SingleOrDefault(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == operation.OperationId
                || ("/" + e.RoutePattern.RawText!.Trim('/') == operation.Path
                    && (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains(operation.Method) ?? false)));
        Assert.True(endpoint is not null, $"No endpoint serves {operation}.");
        var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
        if (policies.Count == 0)
        {
            return null;
        }

        var provider = server.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var roles = Roles.All.ToList();
        foreach (var name in policies)
        {
            var policy = await provider.GetPolicyAsync(name);
            foreach (var requirement in policy!.Requirements.OfType<RolesAuthorizationRequirement>())
            {
                roles = roles.Where(r => requirement.AllowedRoles.Contains(r)).ToList();
            }
        }

        return roles;
    }

    private async Task EnsureAdminFixturesAsync(string agency)
    {
        using var admin = server.Client(Roles.Admin, agency);
        using var services = await admin.GetAsync("/admin/services");
        if (!(await services.Content.ReadAsStringAsync()).Contains($"\"{ServiceCode}\"", StringComparison.Ordinal))
        {
            using var created = await admin.PostAsync("/admin/services", Json($$"""{"code":"{{ServiceCode}}","name":"Fuzz","description":"d","defaultPriority":"normal","slaHours":5}"""));
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        using var routing = await admin.GetAsync("/admin/routing");
        if (!(await routing.Content.ReadAsStringAsync()).Contains($"\"{RuleId}\"", StringComparison.Ordinal))
        {
            using var created = await admin.PostAsync("/admin/routing/rules", Json($$"""{"ruleId":"{{RuleId}}","priority":50,"services":["{{ServiceCode}}"],"team":"roads"}"""));
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }
    }
}
