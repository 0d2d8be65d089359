using System.Buffers.Text;
using System.Net;
using System.Text;
using EventCase.Server.Auth;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http;

/// <summary>
/// Hostile input: each request is answered 4xx with an RFC 9457 problem of a stable type naming the field, writes
/// nothing, and never reaches the unexpected-error handler.
/// </summary>
public sealed class HostileInputTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>method, path ({id} = an open case), content type, body, status, the field named in errors (or "").</summary>
    public static TheoryData<string, string, string, string, int, string> Cases => new()
    {
        { "POST", "/cases/{id}/assign", "application/json", """{"team":""", 400, "" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":"roads",}""", 400, "" },
        { "POST", "/cases/{id}/assign", "application/json", "null", 400, "body" },
        { "POST", "/cases/{id}/assign", "application/json", "[]", 400, "body" },
        { "POST", "/cases/{id}/assign", "application/json", "\"roads\"", 400, "body" },
        { "POST", "/cases/{id}/assign", "application/json", new string('[', 200) + new string(']', 200), 400, "" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":"roads","isAdmin":true}""", 400, "isAdmin" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":42}""", 400, "team" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":"roads'; DROP TABLE eventcase.events;--"}""", 400, "team" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":"<script>alert(1)</script>"}""", 400, "team" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":"roads","agent":"bob\u0000"}""", 400, "agent" },
        { "POST", "/cases/{id}/assign", "text/plain", """{"team":"roads"}""", 415, "" },
        { "POST", "/cases/{id}/assign", "application/xml", "<team>roads</team>", 415, "" },
        { "POST", "/cases/{id}/escalate", "application/json", """{"toLevel":"two","reason":"x"}""", 400, "toLevel" },
        { "POST", "/cases/{id}/escalate", "application/json", """{"toLevel":99999999999,"reason":"x"}""", 400, "toLevel" },
        { "POST", "/cases/{id}/escalate", "application/json", """{"toLevel":1.5,"reason":"x"}""", 400, "toLevel" },
        { "POST", "/cases/{id}/escalate", "application/json", """{"reason":"x"}""", 400, "toLevel" },
        { "POST", "/cases/{id}/priority", "application/json", """{"to":3}""", 400, "to" },
        { "POST", "/cases/{id}/priority", "application/json", """{"to":"critical"}""", 400, "to" },
        { "POST", "/cases/{id}/feedback", "application/json", """{"satisfaction":true}""", 400, "satisfaction" },
        { "POST", "/cases/{id}/notes", "application/json", """{"text":"x","visibility":"secret"}""", 400, "visibility" },
        { "POST", "/cases/{id}/notes", "application/json", "{\"text\":\"" + new string('x', 5000) + "\"}", 400, "text" },
        { "POST", "/cases/{id}/notes", "application/json", "{\"text\":\"" + new string('x', 20_000) + "\"}", 413, "" },
        { "POST", "/cases/{id}/transfer", "application/json", """{"toAgency":"../../etc","reason":"x"}""", 400, "toAgency" },
        { "POST", "/cases/{id}/mark-duplicate", "application/json", """{"originalCaseId":"' OR 1=1 --"}""", 400, "originalCaseId" },
        { "POST", "/cases/..%2F..%2Fetc%2Fpasswd/assign", "application/json", """{"team":"roads"}""", 404, "" },
        { "POST", "/cases/%24catalog/assign", "application/json", """{"team":"roads"}""", 404, "" },
        { "POST", "/cases/" + new string('a', 300) + "/assign", "application/json", """{"team":"roads"}""", 404, "" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","location":{"latitude":1000,"longitude":0}}""", 400, "location.latitude" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","location":{"latitude":"NaN","longitude":0}}""", 400, "location.latitude" },
        { "POST", "/cases", "application/json", """{"service":"pothole; DROP TABLE x","description":"x"}""", 400, "service" },
        { "POST", "/cases", "application/json", """{"service":"unicorns","description":"x"}""", 400, "service" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","channel":"telepathy"}""", 400, "channel" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","attributes":{"depth":"deep"}}""", 400, "attributes.depth" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":""}""", 400, "description" },
        { "GET", "/cases/{id}/as-of?at=99999-01-01T00:00:00Z", "", "", 400, "at" },
        { "GET", "/cases/{id}/as-of?at=1800-01-01T00:00:00Z", "", "", 400, "at" },
        { "GET", "/cases/{id}/as-of?at=yesterday", "", "", 400, "at" },
        { "GET", "/cases/{id}/as-of?version=-1", "", "", 400, "version" },
        { "GET", "/cases/{id}/as-of?version=1e3", "", "", 400, "version" },
        { "GET", "/cases/{id}/as-of?version=99999999999999999999999", "", "", 400, "version" },
        { "GET", "/cases/{id}/as-of", "", "", 400, "version" },
        { "GET", "/cases?limit=0", "", "", 400, "limit" },
        { "GET", "/cases?status=deleted", "", "", 400, "status" },
        { "GET", "/cases?status=1", "", "", 400, "status" },
        { "GET", "/cases?status=notOpened", "", "", 400, "status" },
        { "GET", "/queues?status=open,notOpened", "", "", 400, "status" },
        { "GET", "/cases?cursor=not-a-cursor", "", "", 400, "cursor" },
        { "GET", "/cases?openedFrom=2026-02-30T00:00:00Z", "", "", 400, "openedFrom" },
        { "GET", "/cases?team=%27%20OR%201%3D1", "", "", 400, "team" },
        { "GET", "/queues?cursor=%00%01", "", "", 400, "cursor" },
        { "GET", "/queues?team=a&assignee=b", "", "", 400, "assignee" },
        { "GET", "/sla/breaching?withinHours=-1", "", "", 400, "withinHours" },
        { "GET", "/sla/breaching", "", "", 400, "withinHours" },
        { "GET", "/statistics/transparency?granularity=century", "", "", 400, "granularity" },
        { "GET", "/statistics/transparency?from=2026-13-01", "", "", 400, "from" },
        { "GET", "/statistics/transparency?from=0001-01-01&to=9999-12-31", "", "", 400, "from" },
        { "GET", "/audit/actors/x?from=never", "", "", 400, "from" },
        { "GET", "/audit/export?from=never&to=2026-03-02T00:00:00Z", "", "", 400, "from" },
        { "GET", "/audit/export?to=2026-03-02T00:00:00Z", "", "", 400, "from" },
        { "GET", "/audit/export?from=2026-03-02T00:00:00Z&to=0001-01-01T00:00:00Z", "", "", 400, "to" },
        { "GET", "/audit/export?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&format=..%2F..%2Fetc%2Fpasswd", "", "", 400, "format" },
        { "GET", "/audit/cases/{id}/export?format=%00", "", "", 400, "format" },
        { "GET", "/audit/cases/{id}/export?format=CSV;%20DROP%20TABLE%20x", "", "", 400, "format" },
        { "PUT", "/admin/calendar", "application/json", """{"zone":"Mars/Olympus","hours":[],"holidays":[]}""", 400, "zone" },
        { "PUT", "/admin/calendar", "application/json", """{"zone":"Etc/UTC","hours":[{"day":"monday","start":"25:00","end":"26:00"}],"holidays":[]}""", 400, "hours[0].start" },
        { "POST", "/admin/services", "application/json", """{"code":"x y","name":"X","slaHours":-5}""", 400, "code" },
        { "POST", "/admin/routing/rules", "application/json", """{"ruleId":"r","team":"t","area":{"name":"a","south":100,"west":0,"north":0,"east":0}}""", 400, "area" },
        // A new rule's id must be addressable as /admin/routing/rules/{ruleId} later.
        { "POST", "/admin/routing/rules", "application/json", """{"ruleId":"r 1/..","team":"roads"}""", 400, "ruleId" },
        { "POST", "/admin/routing/rules", "application/json", """{"ruleId":"","team":"roads"}""", 400, "ruleId" },
        // Escalation tiers that do not exist are input errors, not case rules.
        { "POST", "/cases/{id}/escalate", "application/json", """{"toLevel":-1,"reason":"x"}""", 400, "toLevel" },
        { "POST", "/cases/{id}/escalate", "application/json", """{"toLevel":9,"reason":"x"}""", 400, "toLevel" },
        { "POST", "/cases/{id}/deescalate", "application/json", """{"toLevel":3,"reason":"x"}""", 400, "toLevel" },
        // The calendar names the entry that is wrong.
        { "PUT", "/admin/calendar", "application/json", """{"zone":"America/New_York","hours":[null]}""", 400, "hours[0]" },
        { "PUT", "/admin/calendar", "application/json", """{"zone":"America/New_York","hours":[{"day":"none","start":"08:00:00","end":"17:00:00"}]}""", 400, "hours[0].day" },
        { "PUT", "/admin/calendar", "application/json", """{"zone":"America/New_York","hours":[{"day":"monday","start":"08:00:00","end":"17:00:00"}],"holidays":["2026-12-25","1800-01-01"]}""", 400, "holidays[1]" },
        { "PUT", "/admin/calendar", "application/json", """{"zone":"America/New_York","hours":[{"day":"monday","start":"08:00:00","end":"17:00:00"}],"holidays":[""" + string.Join(",", Enumerable.Repeat("\"2026-12-25\"", 1001)) + "]}", 400, "holidays" },
        // Query flags and choices are parsed by the service, never bound by the framework (which answered 500 in Development).
        { "GET", "/queues?unassigned=maybe", "", "", 400, "unassigned" },
        { "GET", "/queues?breached=2", "", "", 400, "breached" },
        { "GET", "/queues?unassigned=true&unassigned=false", "", "", 400, "unassigned" },
        { "GET", "/statistics/transparency?granularity=7", "", "", 400, "granularity" },
        { "GET", "/statistics/transparency?granularity=1", "", "", 400, "granularity" },
        { "GET", "/statistics/transparency.csv?granularity=day,week", "", "", 400, "granularity" },
        // Free-text filters are compared in SQL, and PostgreSQL refuses NUL.
        { "GET", "/cases?assignee=%00", "", "", 400, "assignee" },
        { "GET", "/queues?assignee=%00", "", "", 400, "assignee" },
        { "GET", "/cases?service=%00", "", "", 400, "service" },
        { "GET", "/cases?cursor=" + Base64Url.EncodeToString("0\na\u0000b"u8), "", "", 400, "cursor" },
        { "GET", "/queues?cursor=" + Base64Url.EncodeToString("0\n0\na\u0000b"u8), "", "", 400, "cursor" },
        { "GET", "/audit/actors/a%EF%BF%BFb", "", "", 400, "actorId" },
        // A null where a list holds values, or where a map holds lists.
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","attributes":{"depth":[null]}}""", 400, "attributes.depth" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","attributes":{"depth":null}}""", 400, "attributes.depth" },
        { "POST", "/admin/routing/rules", "application/json", """{"ruleId":"r","team":"roads","services":[null]}""", 400, "services[0]" },
        { "PUT", "/admin/calendar", "application/json", """{"zone":"America/New_York","hours":[{"day":"monday","start":"08:00:00","end":"17:00:00"}],"holidays":[null]}""", 400, "holidays[0]" },
        { "POST", "/admin/services", "application/json", """{"code":"nulls","name":"N","description":"d","defaultPriority":"normal","slaHours":5,"attributes":[null]}""", 400, "attributes[0]" },
        { "POST", "/admin/services", "application/json", """{"code":"nulls","name":"N","description":"d","defaultPriority":"normal","slaHours":5,"keywords":[null]}""", 400, "keywords[0]" },
        { "POST", "/admin/services", "application/json", """{"code":"nulls","name":"N","description":"d","defaultPriority":"normal","slaHours":5,"attributes":[{"code":"a","datatype":"singlevaluelist","description":"A","values":[null]}]}""", 400, "attributes[0].values[0]" },
        { "POST", "/admin/services", "application/json", """{"code":"nulls","name":"N","description":"d","defaultPriority":"normal","slaHours":5,"attributes":[{"code":"a","datatype":"singlevaluelist","description":"A","values":[{"key":"k","name":"K"},{"name":"L"}]}]}""", 400, "attributes[0].values[1].key" },
        // A member given twice, or in another casing than the documented camelCase.
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","location":{"address":"1 Main St"},"service":"graffiti"}""", 400, "service" },
        { "POST", "/cases", "application/json", """{"service":"pothole","description":"x","attributes":{"depth":["deep"],"depth":["shallow"]}}""", 400, "attributes.depth" },
        { "POST", "/cases/{id}/assign", "application/json", """{"team":"roads","team":"parks"}""", 400, "team" },
        { "POST", "/cases/{id}/assign", "application/json", """{"Team":"roads"}""", 400, "Team" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_input_is_a_4xx_problem_naming_the_field_and_writes_nothing(string method, string path, string contentType, string body, int status, string field)
    {
        var id = await server.OpenCaseAsync();
        var before = await server.EventCountAsync();
        using var client = server.Client(Roles.Admin);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal));
        if (contentType.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        Assert.StartsWith("https://eventcase.dev/problems/", problem["type"]!.GetValue<string>(), StringComparison.Ordinal);
        if (field.Length > 0)
        {
            Assert.True(problem["errors"]?[field] is not null, $"errors should name '{field}': {text}");
        }

        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.DoesNotContain("EventCase.", text, StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData("POST", "/cases/{id}/notes", "text/plain", HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json")]
    [InlineData("POST", "/cases", "application/xml", HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json")]
    [InlineData("DELETE", "/cases/{id}/notes", "", HttpStatusCode.MethodNotAllowed, "does not take DELETE")]
    public async Task What_the_routing_refuses_before_any_handler_runs_is_a_problem_that_says_what_would_be_taken(
        string method, string path, string contentType, HttpStatusCode expected, string said)
    {
        var id = await server.OpenCaseAsync();
        var before = await server.EventCountAsync();
        using var agent = server.Client(Roles.Agent);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal));
        if (contentType.Length > 0)
        {
            request.Content = new StringContent("""{"text":"hello"}""", Encoding.UTF8, contentType);
        }

        using var response = await agent.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(said, (await ReadJsonAsync(response))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        if (expected == HttpStatusCode.MethodNotAllowed)
        {
            Assert.Contains("POST", response.Content.Headers.Allow);
        }

        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task An_unknown_status_filter_is_answered_with_the_statuses_as_the_api_writes_them()
    {
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.GetAsync("/cases?status=deleted");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            "must be a comma-separated list of open, assigned, inProgress, awaitingCitizen, resolved, closed, cancelled, duplicate, transferredOut.",
            (await ReadJsonAsync(response))["errors"]!["status"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task A_member_given_twice_is_refused_rather_than_the_last_value_winning()
    {
        var before = await server.EventCountAsync();
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.PostAsync("/cases", Json("""{"service":"pothole","description":"x","location":{"address":"1 Main St"},"service":"graffiti"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("This member is given more than once.", (await ReadJsonAsync(response))["errors"]!["service"]![0]!.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task Member_names_are_the_documented_camel_case_ones_and_another_casing_is_an_unknown_member()
    {
        var before = await server.EventCountAsync();
        using var agent = server.Client(Roles.Agent);

        using var response = await agent.PostAsync("/cases", Json("""{"Service":"pothole","description":"x","location":{"address":"1 Main St"}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("This member is not part of the request.", (await ReadJsonAsync(response))["errors"]!["Service"]![0]!.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task The_queue_flags_read_true_and_false_in_any_letter_case()
    {
        var id = await server.OpenCaseAsync();
        // A case of its own left unassigned: the queue held one only when another test of the class had opened it first.
        var left = await server.OpenCaseAsync();
        using var agent = server.Client(Roles.Agent);
        await EventCase.Server.Tests.Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/assign", """{"team":"roads","agent":"bob"}""");
        await server.WaitForProjectionsAsync();

        var unassigned = (await ReadJsonAsync(await agent.GetAsync("/queues?unassigned=TRUE&limit=200")))["items"]!.AsArray();
        var assigned = (await ReadJsonAsync(await agent.GetAsync("/queues?unassigned=false&breached=False&limit=200")))["items"]!.AsArray();

        Assert.Contains(unassigned, i => i!["caseId"]!.GetValue<string>() == left);
        Assert.All(unassigned, i => Assert.Null(i!["assignee"]));
        Assert.Contains(assigned, i => i!["caseId"]!.GetValue<string>() == id);
        Assert.All(assigned, i => Assert.NotNull(i!["assignee"]));
    }

    [Fact]
    public async Task A_body_that_starts_with_a_byte_order_mark_is_read_like_any_other()
    {
        using var agent = server.Client(Roles.Agent);
        using var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"service":"pothole","description":"With a BOM","location":{"address":"1 Main St"}}""")]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await agent.PostAsync("/cases", content);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("latin1")]
    [InlineData("ISO-8859-1")]
    [InlineData("windows-1252")]
    [InlineData("utf-16")]
    [InlineData("no-such-charset")]
    public async Task A_json_body_labelled_with_a_charset_other_than_utf_8_is_415_naming_the_charset_and_writes_nothing(string charset)
    {
        using var agent = server.Client(Roles.Agent);
        var before = await server.EventCountAsync();
        // "cafÃ©" in Latin-1 is the UTF-8 of "café": read as UTF-8 it is taken, as other text than the client sent.
        const string json = """{"service":"pothole","description":"cafÃ©","location":{"address":"1 Main St"}}""";
        using var content = new ByteArrayContent(charset == "utf-16" ? Encoding.Unicode.GetBytes(json) : Encoding.Latin1.GetBytes(json));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");

        using var response = await agent.PostAsync("/cases", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.Equal("request.unsupported-media-type", problem["code"]!.GetValue<string>());
        Assert.Contains($"charset={charset}", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("UTF-8")]
    [InlineData("\"utf-8\"")]
    [InlineData("us-ascii")]
    public async Task A_json_body_labelled_utf_8_or_us_ascii_is_read_as_utf_8(string charset)
    {
        using var agent = server.Client(Roles.Agent);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"service":"pothole","description":"café","location":{"address":"1 Main St"}}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");

        using var response = await agent.PostAsync("/cases", content);

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var id = (await ReadJsonAsync(response))["caseId"]!.GetValue<string>();
        Assert.Equal("café", (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip", false)]
    [InlineData("br", false)]
    public async Task A_body_with_a_content_encoding_is_415_naming_the_header_whether_or_not_it_is_compressed(string coding, bool compressed)
    {
        using var agent = server.Client(Roles.Agent);
        var before = await server.EventCountAsync();
        var json = Encoding.UTF8.GetBytes("""{"service":"pothole","description":"Compressed","location":{"address":"1 Main St"}}""");
        using var gzipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        using var content = new ByteArrayContent(compressed ? gzipped.ToArray() : json);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add(coding);

        using var response = await agent.PostAsync("/cases", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]!["Content-Encoding"]);
        Assert.Equal("identity", Assert.Single(response.Headers.GetValues("Accept-Encoding")));
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_body_larger_than_the_limit_without_a_content_length_is_413()
    {
        var id = await server.OpenCaseAsync();
        using var client = server.Client(Roles.Agent);
        var stream = new MemoryStream(Encoding.UTF8.GetBytes("{\"text\":\"" + new string('x', 100_000) + "\"}"));
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cases/{id}/notes") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("If-Match", "\"three\"")]
    [InlineData("If-Match", "W/\"-4\"")]
    [InlineData("Idempotency-Key", "key\twith-a-tab")]
    [InlineData("Idempotency-Key", "x")]
    public async Task Malformed_concurrency_headers_are_400_naming_the_header(string header, string value)
    {
        var id = await server.OpenCaseAsync();
        var before = await server.EventCountAsync();
        using var client = server.Client(Roles.Agent);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/cases/{id}/escalate") { Content = Json("""{"toLevel":1,"reason":"x"}""") };
        request.Headers.TryAddWithoutValidation(header, value == "x" ? new string('x', 300) : value);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await ReadJsonAsync(response))["errors"]![header]);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems_too()
    {
        using var client = server.Client(Roles.Agent);
        using var missing = await client.GetAsync("/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("https://eventcase.dev/problems/resource.not-found", (await ReadJsonAsync(missing))["type"]!.GetValue<string>());
        using var method = await client.DeleteAsync("/cases");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.StatusCode);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }
}
