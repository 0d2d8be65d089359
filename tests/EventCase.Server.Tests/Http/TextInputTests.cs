using System.Net;
using System.Net.Http.Headers;
using EventCase.Server.Auth;
using EventCase.Server.Http;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// Text the service cannot store (PostgreSQL refuses NUL in text and jsonb) or serve (XML 1.0 cannot hold C0 controls,
/// U+FFFE or U+FFFF) is refused wherever text comes in: bodies, attribute codes and values, list items, query
/// parameters, route values and token claims. Each refusal is a 400 naming the field, writes nothing and never reaches
/// the unexpected-error handler.
/// </summary>
public sealed class TextInputTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>method, path ({id} = an open case), JSON body, the field named in errors.</summary>
    public static TheoryData<string, string, string, string> UnacceptedText => new()
    {
        { "POST", "/cases", """{"service":"noise","description":"ok","location":{"address":"1 Loud St"},"attributes":{"when":["a\u0000b"]}}""", "attributes.when" },
        { "POST", "/cases", """{"service":"noise","description":"ok","location":{"address":"1 Loud St"},"attributes":{"when":["\u0000"]}}""", "attributes.when" },
        { "POST", "/cases", """{"service":"noise","description":"ok","location":{"address":"1 Loud St"},"attributes":{"wh\u0000en":["now"]}}""", "attributes" },
        { "POST", "/cases", """{"service":"noise","description":"ok \uFFFE","location":{"address":"1 Loud St"}}""", "description" },
        { "POST", "/cases", """{"service":"noise","description":"ok","location":{"address":"1 Loud St \uFDD0"}}""", "location.address" },
        { "POST", "/cases", """{"service":"noise","description":"ok","citizen":{"reference":"c-\uD83F\uDFFF"},"location":{"address":"1 Loud St"}}""", "citizen.reference" },
        { "POST", "/cases/{id}/notes", """{"text":"a\u0085b"}""", "text" },
        { "POST", "/cases/{id}/notes", """{"text":"a\uFFFFb"}""", "text" },
        { "POST", "/admin/services", """{"code":"noise2","name":"Noise","slaHours":8,"keywords":["lo\u0000ud"]}""", "keywords[0]" },
        { "POST", "/admin/services", """{"code":"noise2","name":"Noise","slaHours":8,"keywords":["loud","lo\u0001ud"]}""", "keywords[1]" },
        { "POST", "/admin/services", """{"code":"noise2","name":"Noise","slaHours":8,"keywords":["loud",null]}""", "keywords[1]" },
        { "POST", "/admin/services", """{"code":"noise2","name":"No\uFFFEise","slaHours":8}""", "name" },
        { "POST", "/admin/services", """{"code":"noise2","name":"Noise","slaHours":8,"group":"a\u0000b"}""", "group" },
        { "POST", "/dev/token", """{"role":"citizen","citizen":"a\u0000b"}""", "citizen" },
        { "POST", "/dev/token", """{"role":"agent","citizen":"a\uFFFFb"}""", "citizen" },
    };

    [Theory]
    [MemberData(nameof(UnacceptedText))]
    public async Task Text_the_service_cannot_store_or_serve_is_a_400_naming_the_field_and_writes_nothing(string method, string path, string body, string field)
    {
        await DefineNoiseServiceAsync();
        var id = await server.OpenCaseAsync();
        var before = await server.EventCountAsync();
        using var admin = server.Client(Roles.Admin);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal)) { Content = Json(body) };

        using var response = await admin.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var problem = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        Assert.Equal("https://eventcase.dev/problems/request.invalid", problem["type"]!.GetValue<string>());
        Assert.True(problem["errors"]?[field] is not null, $"errors should name '{field}': {text}");
        Assert.Equal(before, await server.EventCountAsync());
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task Line_breaks_tabs_and_characters_beyond_the_basic_plane_are_text()
    {
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);

        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/notes", """{"text":"Line one\r\nLine two\tindented \uD83D\uDEA7 \u00E9"}""");

        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{id}"));
        Assert.Equal("Line one\r\nLine two\tindented \U0001F6A7 é", view["notes"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_string_attribute_value_of_text_is_stored_as_sent()
    {
        await DefineNoiseServiceAsync();
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.PostAsync("/cases", Json("""{"service":"noise","description":"Party","location":{"address":"1 Loud St"},"attributes":{"when":["since 22:00"]}}"""));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
    }

    [Fact]
    public async Task A_service_filter_that_is_not_a_service_code_is_described_as_a_service_code()
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync("/cases?service=%00");

        var message = (await ReadJsonAsync(response))["errors"]!["service"]![0]!.GetValue<string>();
        Assert.Contains("service code", message, StringComparison.Ordinal);
        Assert.DoesNotContain("team", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\u0000b", null)]
    [InlineData(null, "a\u0000b")]
    [InlineData(null, "a\uFFFEb")]
    public async Task A_token_whose_subject_or_citizen_claim_the_service_cannot_store_is_refused_not_a_500(string? subject, string? citizen)
    {
        using var client = server.Client();
        var token = server.Token(Roles.Citizen, subject: subject ?? "alice", citizen: citizen ?? "citizen-1");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var list = await client.GetAsync("/cases");
        using var open = await client.PostAsync("/cases", Json("""{"service":"pothole","description":"x","location":{"address":"1 Main St"}}"""));

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, open.StatusCode);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData("plain text", true)]
    [InlineData("line\nbreak\r\nand\ttab", true)]
    [InlineData("\u00E9\u4E2D\uFDCF\uFDF0\uFFFD", true)]
    [InlineData("\uD83D\uDEA7", true)]
    [InlineData("\u0000", false)]
    [InlineData("\u001F", false)]
    [InlineData("\u007F", false)]
    [InlineData("\u0085", false)]
    [InlineData("\uFDD0", false)]
    [InlineData("\uFDEF", false)]
    [InlineData("\uFFFE", false)]
    [InlineData("\uFFFF", false)]
    [InlineData("\uD83F\uDFFE", false)]
    [InlineData("\uDBFF\uDFFF", false)]
    public void Accepted_text_has_no_control_characters_or_noncharacters(string text, bool accepted) =>
        Assert.Equal(accepted, Validation.IsAcceptedText(text));

    [Fact]
    public void Accepted_text_has_no_unpaired_surrogates()
    {
        // Built from chars: test data that passes through serialization would have them replaced on the way.
        const char high = '\uD83D';
        const char low = '\uDEA7';

        Assert.True(Validation.IsAcceptedText(new string([high, low])));
        Assert.False(Validation.IsAcceptedText(new string([high])));
        Assert.False(Validation.IsAcceptedText(new string(['a', high, 'b'])));
        Assert.False(Validation.IsAcceptedText(new string(['a', low, 'b'])));
        Assert.False(Validation.IsAcceptedText(new string([low, high])));
    }

    /// <summary>A service with a free-text attribute, whose values the catalog does not restrict.</summary>
    private async Task DefineNoiseServiceAsync()
    {
        using var admin = server.Client(Roles.Admin);
        using var response = await admin.PostAsync("/admin/services", Json("""
            {"code":"noise","name":"Noise","slaHours":8,"attributes":[{"code":"when","datatype":"string","required":false,"description":"Since when?"}]}
            """));
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
    }
}
