using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using EventCase.Server.Auth;
using EventCase.Server.Http;
using EventCase.Server.Tests.Support;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// The values in a request's URL are checked before any handler runs: a query parameter that takes one value and is
/// given twice is a 400 naming it (it used to be read as both values joined with a comma), the lists stay lists, and a
/// route value holding a control character is a 400 naming it. Open311 routes answer in GeoReport's error format.
/// </summary>
public sealed class RequestValuesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string GivenTwice = "is given more than once; give it once.";

    /// <summary>Every route of the service; the OpenAPI document's own is the framework's, and reads no input.</summary>
    private IEnumerable<RouteEndpoint> Routes =>
        server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null && !(e.RoutePattern.RawText ?? "").StartsWith("/openapi", StringComparison.Ordinal));

    [Fact]
    public async Task A_repeated_assignee_filter_is_a_400_naming_it_not_a_filter_on_both_values_joined()
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync("/cases?assignee=a&assignee=b");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://eventcase.dev/problems/request.invalid", problem["type"]!.GetValue<string>());
        Assert.Equal(GivenTwice, problem["errors"]!["assignee"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_parameter_repeated_in_another_letter_case_is_the_same_parameter_given_twice()
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync("/queues?assignee=alice&Assignee=bob");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["assignee"]);
    }

    [Fact]
    public async Task Every_single_valued_query_parameter_of_every_route_given_twice_is_a_400_naming_it()
    {
        using var admin = server.Client(Roles.Admin);
        var failures = new List<string>();
        var checkedParameters = 0;
        foreach (var route in Routes)
        {
            var parameters = route.Metadata.GetMetadata<QueryParameters>()!;
            // Any acceptable route value will do: the check runs before the handler looks anything up.
            var path = "/" + string.Join('/', route.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart { Name: "format" } => "json",
                _ => "x1",
            }))));
            foreach (var method in route.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                foreach (var name in parameters.Single)
                {
                    checkedParameters++;
                    using var request = new HttpRequestMessage(new HttpMethod(method), $"{path}?{name}=1&{name}=2");
                    if (method is "POST" or "PUT")
                    {
                        request.Content = route.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Contains("application/x-www-form-urlencoded") == true
                            ? new FormUrlEncodedContent([])
                            : Json("{}");
                    }

                    using var response = await admin.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    var named = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                        ? JsonNode.Parse(text)!["errors"]?[name]?[0]?.GetValue<string>() == GivenTwice
                        : text.Contains($"{name}: {GivenTwice}", StringComparison.Ordinal);
                    if (response.StatusCode != HttpStatusCode.BadRequest || !named)
                    {
                        failures.Add($"{method} {path}?{name}=1&{name}=2: {(int)response.StatusCode} {text}");
                    }
                }
            }
        }

        Assert.True(checkedParameters > 30, $"only {checkedParameters} parameters checked");
        Assert.Empty(failures);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task A_status_list_may_be_given_as_repeated_parameters_and_means_the_same_as_the_comma_separated_list()
    {
        await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);

        foreach (var route in new[] { "/cases", "/queues" })
        {
            using var repeated = await agent.GetAsync($"{route}?status=open&status=assigned&limit=200");
            using var joined = await agent.GetAsync($"{route}?status=open,assigned&limit=200");

            Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
            var items = (await ReadJsonAsync(repeated))["items"]!.AsArray();
            Assert.NotEmpty(items);
            Assert.Equal((await ReadJsonAsync(joined))["items"]!.ToJsonString(), items.ToJsonString());
        }
    }

    [Fact]
    public async Task A_query_parameter_no_route_reads_may_be_repeated_and_is_ignored_as_before()
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync("/cases?utm_source=a&utm_source=b");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_repeated_open311_parameter_is_a_georeport_400_naming_it_in_json_and_xml()
    {
        using var client = server.Client();

        using var json = await client.GetAsync("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&start_date=2026-02-01T00:00:00Z");
        using var xml = await client.GetAsync("/open311/v2/requests.xml?api_key=agent-key-a&api_key=agent-key-b");

        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        var error = (await ReadJsonAsync(json))[0]!;
        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.Equal($"start_date: {GivenTwice}", error["description"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, xml.StatusCode);
        var errorXml = XDocument.Parse(await xml.Content.ReadAsStringAsync()).Root!.Element("error")!;
        Assert.Equal("400", errorXml.Element("code")!.Value);
        Assert.Equal($"api_key: {GivenTwice}", errorXml.Element("description")!.Value);
    }

    [Fact]
    public async Task Open311_request_ids_and_statuses_may_be_given_as_repeated_parameters_as_well_as_comma_separated()
    {
        var first = await NumberOfAsync(await server.OpenCaseAsync());
        var second = await NumberOfAsync(await server.OpenCaseAsync());
        using var client = server.Client();

        var byId = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests.json?service_request_id={first}&service_request_id={second}"))).AsArray();
        using var byStatus = await client.GetAsync("/open311/v2/requests.json?status=open&status=closed");

        Assert.Equal([first, second], byId.Select(r => r!["service_request_id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, byStatus.StatusCode);
        Assert.Contains((await ReadJsonAsync(byStatus)).AsArray(), r => r!["service_request_id"]!.GetValue<string>() == first);
    }

    /// <summary>
    /// method, path, the route value named in errors. Not NUL (<c>%00</c>): the test client refuses to send it, as Kestrel
    /// refuses to take it (<see cref="KestrelRequestValuesTests"/>).
    /// </summary>
    public static TheoryData<string, string, string> ControlCharactersInRouteValues => new()
    {
        { "GET", "/cases/abc%01def", "id" },
        { "GET", "/cases/abc%0Adef/history", "id" },
        { "GET", "/cases/abc%7Fdef/as-of?version=1", "id" },
        { "POST", "/cases/abc%C2%85def/assign", "id" },
        { "GET", "/cases/by-number/DEMO-2026-%1B00001", "number" },
        { "GET", "/audit/cases/a%1Fb", "id" },
        { "GET", "/audit/cases/a%1Fb/export", "id" },
        { "GET", "/audit/actors/a%09b", "actorId" },
        { "GET", "/sla/cases/a%0Db", "id" },
        { "PUT", "/admin/services/a%01b", "code" },
        { "DELETE", "/admin/routing/rules/r%EF%BF%BF1", "ruleId" },
    };

    [Theory]
    [MemberData(nameof(ControlCharactersInRouteValues))]
    public async Task A_route_value_holding_a_control_character_is_a_400_naming_it_not_a_404_or_a_500(string method, string path, string name)
    {
        using var admin = server.Client(Roles.Admin);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : Json("{}") };

        using var response = await admin.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://eventcase.dev/problems/request.invalid", problem["type"]!.GetValue<string>());
        Assert.NotNull(problem["errors"]![name]);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task An_open311_route_value_holding_a_control_character_is_a_georeport_400_naming_it_by_its_open311_name()
    {
        using var client = server.Client();

        using var json = await client.GetAsync("/open311/v2/tokens/a%01b.json");
        using var xml = await client.GetAsync("/open311/v2/requests/DEMO-2026-%0A.xml");

        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.StartsWith("token: must not contain control characters", (await ReadJsonAsync(json))[0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, xml.StatusCode);
        var error = XDocument.Parse(await xml.Content.ReadAsStringAsync()).Root!.Element("error")!;
        Assert.StartsWith("service_request_id: must not contain control characters", error.Element("description")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_route_is_mapped_under_the_request_values_check()
    {
        foreach (var route in Routes)
        {
            var parameters = route.Metadata.GetMetadata<QueryParameters>();
            Assert.True(parameters is not null, $"{route.RoutePattern.RawText} is not mapped under CheckRequestValues");
        }
    }

    [Fact]
    public async Task The_query_parameters_found_for_each_route_are_those_its_openapi_operation_lists()
    {
        using var client = server.Client();
        var paths = (await ReadJsonAsync(await client.GetAsync("/openapi/v1.json")))["paths"]!.AsObject();

        foreach (var route in Routes)
        {
            var path = "/" + (route.RoutePattern.RawText ?? "").Trim('/');
            var found = route.Metadata.GetMetadata<QueryParameters>()!;
            // The document lists no HEAD operations (docs/api.md, "HEAD"); a route's GET lists its parameters.
            foreach (var method in route.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Where(m => m != "HEAD"))
            {
                var operation = paths.Single(p => p.Key.TrimEnd('/') == path.TrimEnd('/')).Value![method.ToLowerInvariant()]!;
                var documented = (operation["parameters"]?.AsArray() ?? []).Where(p => p!["in"]!.GetValue<string>() == "query").Select(p => p!["name"]!.GetValue<string>());
                Assert.Equal(documented.Order(StringComparer.Ordinal), found.Single.Concat(found.Lists).Order(StringComparer.Ordinal));
            }
        }
    }

    private async Task<string> NumberOfAsync(string caseId)
    {
        using var agent = server.Client(Roles.Agent);
        return (await ReadJsonAsync(await agent.GetAsync($"/cases/{caseId}")))["number"]!.GetValue<string>();
    }
}
