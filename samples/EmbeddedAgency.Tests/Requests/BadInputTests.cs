using System.Net;
using EmbeddedAgency.Tests.Support;
using static EmbeddedAgency.Tests.Support.AgencyHostFixture;

namespace EmbeddedAgency.Tests.Requests;

/// <summary>Bad input is a problem-details 400 naming the field, stores nothing, and is never a 500; unknown requests are 404.</summary>
public sealed class BadInputTests(AgencyHostFixture host) : IClassFixture<AgencyHostFixture>
{
    public static TheoryData<string, string> BadRequests => new()
    {
        { """{"description":"No service","address":"1 Main St"}""", "service" },
        { """{"service":"Pot Hole!","description":"Bad code","address":"1 Main St"}""", "service" },
        { """{"service":"snow-plowing","description":"Not in the catalog","address":"1 Main St"}""", "service" },
        { """{"service":"pothole","address":"1 Main St"}""", "description" },
        { """{"service":"pothole","description":"Off the map","latitude":123,"longitude":-89.6}""", "latitude" },
        { """{"service":"pothole","description":"Half a point","latitude":39.8}""", "longitude" },
        { """{"service":"pothole","description":"Nowhere"}""", "location" },
        { """{"service":"pothole","description":"Odd mail","address":"1 Main St","citizenEmail":"not-an-address"}""", "citizenEmail" },
        { $$"""{"service":"pothole","description":"Long name","address":"1 Main St","citizenName":"{{new string('n', 201)}}"}""", "citizenName" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_a_400_naming_the_field_and_leaves_no_case_behind(string body, string field)
    {
        using var client = host.Client();
        var before = await host.CaseCountAsync();

        using var response = await client.PostAsync("/requests", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadJsonAsync(response);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, await host.CaseCountAsync());
    }

    [Theory]
    [InlineData("{not json", "body")]
    [InlineData("""{"service":"pothole","description":"x","latitude":"north"}""", "latitude")]
    public async Task A_body_that_is_not_the_expected_json_is_a_400_problem_naming_where_not_a_500(string body, string field)
    {
        using var client = host.Client();

        using var response = await client.PostAsync("/requests", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]![field]);
    }

    [Fact]
    public async Task Assigning_without_a_team_names_the_team_field()
    {
        using var client = host.Client();
        var opened = await PostAsync(client, "/requests", new { service = "graffiti", description = "Tag", address = "2 Main St" });

        using var response = await client.PostAsync($"/requests/{opened["id"]}/assign", Json("""{"agent":"homer"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["team"]);
    }

    [Fact]
    public async Task An_unknown_request_is_404_for_reads_and_for_commands_even_when_it_names_a_reference_stream()
    {
        using var client = host.Client();
        var before = await host.CaseCountAsync();

        using var get = await client.GetAsync("/requests/no-such-request");
        using var assign = await client.PostAsync("/requests/no-such-request/assign", Json("""{"team":"public-works"}"""));
        using var start = await client.PostAsync("/requests/no-such-request/start", null);
        using var unknownUuid = await client.PostAsync($"/requests/{Guid.CreateVersion7()}/start", null);
        using var referenceStream = await client.PostAsync("/requests/$catalog/start", null);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, assign.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, start.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownUuid.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, referenceStream.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await host.CaseCountAsync());
    }

    [Fact]
    public async Task A_queue_cursor_that_the_queue_never_returned_is_a_400_naming_the_cursor()
    {
        using var client = host.Client();

        using var response = await client.GetAsync("/queues/public-works?cursor=bogus");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["cursor"]);
    }
}
