using System.Text.Json.Nodes;
using EventCase.Server.Tests.Support;

namespace EventCase.Server.Tests.Http.ApiReference;

/// <summary>
/// The handlers bind their query parameters as text and check them themselves, so the generator alone would describe
/// every one as an optional, untyped string: a client generated from the document would let callers leave out what the
/// service requires. These tests read the served document and hold every route to what it declares next to its mapping.
/// </summary>
public sealed class QueryParameterDocumentationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Every_query_parameter_of_every_operation_has_a_description_and_a_schema_type()
    {
        var parameters = QueryParameters(await DocumentAsync()).ToList();

        Assert.NotEmpty(parameters);
        Assert.All(parameters, p =>
        {
            Assert.False(string.IsNullOrWhiteSpace(p.Parameter["description"]?.GetValue<string>()), $"{p.Operation} ?{p.Name} has no description.");
            Assert.True(p.Parameter["schema"]?["type"] is not null, $"{p.Operation} ?{p.Name} has no schema type.");
        });
    }

    [Fact]
    public async Task The_query_parameters_the_service_requires_are_marked_required_and_no_others_are()
    {
        var required = QueryParameters(await DocumentAsync())
            .Where(p => p.Parameter["required"]?.GetValue<bool>() == true)
            .Select(p => $"{p.Operation} ?{p.Name}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(["GET /audit/export ?from", "GET /audit/export ?to", "GET /sla/breaching ?withinHours"], required);
    }

    [Fact]
    public async Task A_range_the_handler_checks_is_stated_in_the_schema_with_its_default()
    {
        var limit = Parameter(await DocumentAsync(), "/cases", "limit");

        Assert.Equal("integer", limit["schema"]!["type"]!.GetValue<string>());
        Assert.Equal(1, limit["schema"]!["minimum"]!.GetValue<long>());
        Assert.Equal(200, limit["schema"]!["maximum"]!.GetValue<long>());
        Assert.Equal(50, limit["schema"]!["default"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_comma_separated_list_is_an_array_sent_in_one_value_with_its_items_named()
    {
        var status = Parameter(await DocumentAsync(), "/queues", "status");

        Assert.Equal("array", status["schema"]!["type"]!.GetValue<string>());
        // Form is the default style of a query parameter, so the document may leave it out.
        Assert.Equal("form", status["style"]?.GetValue<string>() ?? "form");
        Assert.False(status["explode"]!.GetValue<bool>());
        Assert.Contains("inProgress", status["schema"]!["items"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task Instants_and_dates_carry_their_formats()
    {
        var document = await DocumentAsync();

        Assert.Equal("date-time", Parameter(document, "/audit/export", "from")["schema"]!["format"]!.GetValue<string>());
        Assert.Equal("date", Parameter(document, "/statistics/transparency", "to")["schema"]!["format"]!.GetValue<string>());
    }

    private async Task<JsonObject> DocumentAsync()
    {
        using var client = server.Client();
        return JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken))!.AsObject();
    }

    private static IEnumerable<(string Operation, string Name, JsonObject Parameter)> QueryParameters(JsonObject document) =>
        from path in document["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        from parameter in (operation.Value?["parameters"] as JsonArray ?? []).OfType<JsonObject>()
        where parameter["in"]?.GetValue<string>() == "query"
        select ($"{operation.Key.ToUpperInvariant()} {path.Key}", parameter["name"]!.GetValue<string>(), parameter);

    private static JsonObject Parameter(JsonObject document, string path, string name) =>
        QueryParameters(document).Single(p => p.Operation == "GET " + path && p.Name == name).Parameter;
}
