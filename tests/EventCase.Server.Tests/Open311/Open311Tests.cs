using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Opening;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Open311;

public sealed class Open311Tests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private async Task<(string Number, string Token)> PostAsync(string format = "json")
    {
        using var client = server.Client();
        using var response = await client.PostAsync($"/open311/v2/requests.{format}", Form(
            ("api_key", "agent-key-a"), ("service_code", "pothole"), ("lat", "42.35"), ("long", "-71.06"),
            ("address_string", "1 Main St"), ("email", "ann@example.org"), ("first_name", "Ann"), ("description", "Hole"), ("attribute[depth]", "deep")));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        if (format == "xml")
        {
            var request = XDocument.Parse(text).Root!.Element("request")!;
            return (request.Element("service_request_id")!.Value, request.Element("token")!.Value);
        }

        var json = JsonNode.Parse(text)![0]!;
        return (json["service_request_id"]!.GetValue<string>(), json["token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Services_and_definitions_are_served_as_json_and_xml()
    {
        using var client = server.Client();
        var services = (await ReadJsonAsync(await client.GetAsync("/open311/v2/services.json"))).AsArray();
        Assert.Contains(services, s => s!["service_code"]!.GetValue<string>() == "pothole" && s["metadata"]!.GetValue<bool>());

        var xml = XDocument.Parse(await client.GetStringAsync("/open311/v2/services.xml"));
        Assert.Equal("services", xml.Root!.Name.LocalName);
        Assert.Contains(xml.Root.Elements("service"), s => s.Element("service_code")!.Value == "pothole");

        var definition = await ReadJsonAsync(await client.GetAsync("/open311/v2/services/pothole.json"));
        Assert.Equal("singlevaluelist", definition["attributes"]![0]!["datatype"]!.GetValue<string>());
        var definitionXml = XDocument.Parse(await client.GetStringAsync("/open311/v2/services/pothole.xml"));
        Assert.Equal("service_definition", definitionXml.Root!.Name.LocalName);
        Assert.Equal("deep", definitionXml.Root.Descendants("value").Last().Element("key")!.Value);

        using var missing = await client.GetAsync("/open311/v2/services/nope.json");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(404, (await ReadJsonAsync(missing))[0]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_posted_request_is_a_case_of_the_api_keys_agency_visible_through_rest_and_open311()
    {
        var (number, token) = await PostAsync();
        using var agent = server.Client(Roles.Agent);
        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{token}"));
        Assert.Equal(number, view["number"]!.GetValue<string>());
        Assert.Equal("api", view["channel"]!.GetValue<string>());

        using var client = server.Client();
        var single = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests/{number}.json?api_key=agent-key-a")))[0]!;
        Assert.Equal("open", single["status"]!.GetValue<string>());
        Assert.Equal("Hole", single["description"]!.GetValue<string>());
        // ISO-8601 with the agency's offset (America/New_York: -05:00 or -04:00).
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$", single["requested_datetime"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$", single["expected_datetime"]!.GetValue<string>());

        var byToken = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/tokens/{token}.json")))[0]!;
        Assert.Equal(number, byToken["service_request_id"]!.GetValue<string>());
        var tokenXml = XDocument.Parse(await client.GetStringAsync($"/open311/v2/tokens/{token}.xml"));
        Assert.Equal(number, tokenXml.Root!.Element("request")!.Element("service_request_id")!.Value);

        await CaseRoutesTestsAccess.ResolveAsync(agent, token);
        var closed = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests/{number}.json")))[0]!;
        Assert.Equal("closed", closed["status"]!.GetValue<string>());
        Assert.Equal("Filled", closed["status_notes"]!.GetValue<string>());
        Assert.Null(closed["description"]); // no api_key: public view without the citizen's words
    }

    [Fact]
    public async Task Requests_are_filtered_by_id_service_dates_and_status_in_json_and_xml()
    {
        var (first, _) = await PostAsync();
        var (second, _) = await PostAsync("xml");
        using var client = server.Client();
        var both = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests.json?service_request_id={first},{second}"))).AsArray();
        Assert.Equal([first, second], both.Select(r => r!["service_request_id"]!.GetValue<string>()));
        // Read together, in the order asked; an unknown id is left out, one asked twice is answered twice.
        var mixed = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests.json?service_request_id={second},BOS-2026-999999,{first},{second}"))).AsArray();
        Assert.Equal([second, first, second], mixed.Select(r => r!["service_request_id"]!.GetValue<string>()));
        Assert.Equal(both[1]!.ToJsonString(), mixed[0]!.ToJsonString());
        // Another agency's key sees none of them.
        Assert.Empty((await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests.json?service_request_id={first},{second}&api_key=agent-key-b"))).AsArray());

        var open = (await ReadJsonAsync(await client.GetAsync("/open311/v2/requests.json?status=open&service_code=pothole&start_date=2000-01-01T00:00:00Z"))).AsArray();
        Assert.Contains(open, r => r!["service_request_id"]!.GetValue<string>() == first);
        // A listed request is the same as the request read on its own, its expected time included.
        var listed = open.Single(r => r!["service_request_id"]!.GetValue<string>() == first)!;
        var alone = (await ReadJsonAsync(await client.GetAsync($"/open311/v2/requests/{first}.json")))[0]!;
        Assert.Equal(alone.ToJsonString(), listed.ToJsonString());
        Assert.NotNull(listed["expected_datetime"]);
        var closed = (await ReadJsonAsync(await client.GetAsync("/open311/v2/requests.json?status=closed&start_date=2000-01-01T00:00:00-05:00"))).AsArray();
        Assert.DoesNotContain(closed, r => r!["service_request_id"]!.GetValue<string>() == first);
        var none = (await ReadJsonAsync(await client.GetAsync("/open311/v2/requests.json?end_date=2001-01-01T00:00:00Z"))).AsArray();
        Assert.Empty(none);

        var xml = XDocument.Parse(await client.GetStringAsync($"/open311/v2/requests.xml?service_request_id={first}"));
        var request = xml.Root!.Element("request")!;
        Assert.Equal("service_requests", xml.Root.Name.LocalName);
        Assert.Equal(first, request.Element("service_request_id")!.Value);
        Assert.Equal("open", request.Element("status")!.Value);
        Assert.NotNull(request.Element("requested_datetime"));
    }

    [Theory]
    [InlineData("service_code=pothole,graffiti")]
    [InlineData("service_code=pothole&service_code=graffiti")]
    public async Task Requests_of_several_service_codes_are_listed_together_as_a_comma_list_or_a_repeat(string services)
    {
        var pothole = await server.OpenCaseAsync(service: "pothole");
        var graffiti = await server.OpenCaseAsync(service: "graffiti");
        var streetlight = await server.OpenCaseAsync(service: "streetlight");
        using var client = server.Client();

        using var response = await client.GetAsync($"/open311/v2/requests.json?{services}&api_key=agent-key-a");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var codes = JsonNode.Parse(text)!.AsArray().Select(r => r!["service_code"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(["graffiti", "pothole"], codes.Order());
        using var agent = server.Client(Roles.Agent);
        var numbers = JsonNode.Parse(text)!.AsArray().Select(r => r!["service_request_id"]!.GetValue<string>()).ToList();
        foreach (var (id, listed) in new[] { (pothole, true), (graffiti, true), (streetlight, false) })
        {
            var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
            Assert.Equal(listed, numbers.Contains(number));
        }
    }

    [Fact]
    public async Task Requests_are_listed_up_to_the_specs_limit_of_1000_not_cut_shorter()
    {
        // More than any smaller page, within the default 90 days: a dashboard reading a busy quarter must get them all.
        const int opened = 201;
        for (var batch = 0; batch < opened; batch += 10)
        {
            await Task.WhenAll(Enumerable.Range(batch, Math.Min(10, opened - batch)).Select(_ => server.OpenCaseAsync(service: "missed-trash")));
        }

        using var client = server.Client();

        var listed = (await ReadJsonAsync(await client.GetAsync("/open311/v2/requests.json?service_code=missed-trash"))).AsArray();

        Assert.Equal(opened, listed.Count);
    }

    [Fact]
    public async Task More_request_ids_than_one_query_reads_are_refused_naming_the_field_instead_of_cut_to_the_first()
    {
        using var client = server.Client();
        var ids = string.Join(',', Enumerable.Range(1, 201).Select(i => $"NOPE-2026-{i:D6}"));

        using var tooMany = await client.GetAsync($"/open311/v2/requests.json?service_request_id={ids}");
        var error = JsonNode.Parse(await tooMany.Content.ReadAsStringAsync())!.AsArray().Single()!;
        using var enough = await client.GetAsync($"/open311/v2/requests.json?service_request_id={string.Join(',', ids.Split(',').Take(200))}");

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal("service_request_id: at most 200 ids at once, and 201 were given; ask for the rest in another request.", error["description"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, enough.StatusCode);
    }

    [Theory]
    [InlineData("start_date=yesterday", "start_date: ")]
    [InlineData("end_date=2026-13-01T00:00:00Z", "end_date: ")]
    [InlineData("service_code=a%20b", "service_code: ")]
    public async Task A_bad_request_filter_is_a_georeport_400_naming_that_filter(string query, string named)
    {
        using var client = server.Client();

        using var response = await client.GetAsync($"/open311/v2/requests.json?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var description = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Single()!["description"]!.GetValue<string>();
        Assert.StartsWith(named, description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/open311/v2/requests.json?status=pending", HttpStatusCode.BadRequest)]
    [InlineData("/open311/v2/requests.json?start_date=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("/open311/v2/requests.json?api_key=wrong", HttpStatusCode.Forbidden)]
    [InlineData("/open311/v2/requests/NOPE-2026-000001.json", HttpStatusCode.NotFound)]
    [InlineData("/open311/v2/tokens/%27%3B%20DROP%20TABLE.json", HttpStatusCode.NotFound)]
    [InlineData("/open311/v2/services.csv", HttpStatusCode.NotFound)]
    public async Task Bad_open311_queries_are_open311_errors_never_500(string path, HttpStatusCode expected)
    {
        using var client = server.Client();
        using var response = await client.GetAsync(path);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Theory]
    [InlineData("GET", "/open311/v2/unknown.json", "", HttpStatusCode.NotFound)]
    [InlineData("GET", "/open311/v2/requests/NOPE-2026-000001/notes.xml", "", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/open311/v2/requests.json", "", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PUT", "/open311/v2/services.xml", "", HttpStatusCode.MethodNotAllowed)]
    [InlineData("POST", "/open311/v2/requests.json", "application/json", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("POST", "/open311/v2/requests.xml", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task What_the_routing_refuses_under_open311_is_a_georeport_error_in_the_format_the_path_asks_for(
        string method, string path, string contentType, HttpStatusCode expected)
    {
        var before = await server.EventCountAsync();
        using var client = server.Client();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (contentType.Length > 0)
        {
            request.Content = new StringContent("""{"service_code":"pothole"}""", System.Text.Encoding.UTF8, contentType);
        }

        using var response = await client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        string code, description;
        if (path.EndsWith(".xml", StringComparison.Ordinal))
        {
            var errors = XDocument.Parse(text).Root!;
            Assert.Equal("errors", errors.Name.LocalName);
            code = errors.Element("error")!.Element("code")!.Value;
            description = errors.Element("error")!.Element("description")!.Value;
        }
        else
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var error = JsonNode.Parse(text)!.AsArray().Single()!;
            code = error["code"]!.ToJsonString();
            description = error["description"]!.GetValue<string>();
        }

        Assert.Equal(((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), code);
        Assert.False(string.IsNullOrWhiteSpace(description));
        Assert.Equal(before, await server.EventCountAsync());
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task Posting_needs_a_valid_api_key_a_known_service_and_a_location_and_writes_nothing_otherwise()
    {
        var before = await server.EventCountAsync();
        using var client = server.Client();
        foreach (var (form, status) in new[]
        {
            (Form(("service_code", "pothole"), ("lat", "1"), ("long", "1")), HttpStatusCode.Forbidden),
            (Form(("api_key", "wrong"), ("service_code", "pothole"), ("lat", "1"), ("long", "1")), HttpStatusCode.Forbidden),
            // GeoReport v2: "404 - service_code ... was not found".
            (Form(("api_key", "agent-key-a"), ("service_code", "unicorns"), ("lat", "1"), ("long", "1")), HttpStatusCode.NotFound),
            (Form(("api_key", "agent-key-a"), ("service_code", "no such/service"), ("lat", "1"), ("long", "1")), HttpStatusCode.BadRequest),
            (Form(("api_key", "agent-key-a"), ("service_code", "pothole")), HttpStatusCode.BadRequest),
            (Form(("api_key", "agent-key-a"), ("service_code", "pothole"), ("lat", "north"), ("long", "1")), HttpStatusCode.BadRequest),
            (Form(("api_key", "agent-key-a"), ("service_code", "pothole"), ("lat", "1"), ("long", "1"), ("attribute[depth]", "bottomless")), HttpStatusCode.BadRequest),
        })
        {
            using var response = await client.PostAsync("/open311/v2/requests.xml", form);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("errors", XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Name.LocalName);
        }

        Assert.Equal(before, await server.EventCountAsync());
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task A_jurisdiction_id_other_than_the_one_served_is_a_georeport_404_and_the_one_served_or_none_is_taken()
    {
        var before = await server.EventCountAsync();
        using var client = server.Client();

        using var served = await client.GetAsync("/open311/v2/services.json?jurisdiction_id=DEMO");
        using var none = await client.GetAsync("/open311/v2/services.json?jurisdiction_id=");
        using var other = await client.GetAsync("/open311/v2/services.json?jurisdiction_id=springfield.gov");
        using var otherXml = await client.GetAsync("/open311/v2/requests.xml?jurisdiction_id=springfield.gov");
        using var posted = await client.PostAsync("/open311/v2/requests.json", Form(
            ("api_key", "agent-key-a"), ("jurisdiction_id", "springfield.gov"), ("service_code", "pothole"), ("lat", "42.35"), ("long", "-71.06")));

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        var error = (await ReadJsonAsync(other)).AsArray().Single()!;
        Assert.Equal(404, error["code"]!.GetValue<int>());
        Assert.Equal("jurisdiction_id was not found: this endpoint serves 'demo' only.", error["description"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, otherXml.StatusCode);
        Assert.Equal("errors", XDocument.Parse(await otherXml.Content.ReadAsStringAsync()).Root!.Name.LocalName);
        Assert.Equal(HttpStatusCode.NotFound, posted.StatusCode);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Theory]
    [InlineData("description")]
    [InlineData("service_code")]
    [InlineData("api_key")]
    public async Task A_posted_field_given_twice_is_a_georeport_400_naming_it_and_opens_nothing(string field)
    {
        var before = await server.EventCountAsync();
        using var client = server.Client();
        var fields = new List<(string, string)> { ("api_key", "agent-key-a"), ("service_code", "pothole"), ("lat", "42.35"), ("long", "-71.06"), ("description", "Hole") };
        fields.Add((field, fields.First(f => f.Item1 == field).Item2));

        using var response = await client.PostAsync("/open311/v2/requests.json", Form([.. fields]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal($"{field}: is given more than once; give it once.", (await ReadJsonAsync(response))[0]!["description"]!.GetValue<string>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_multivaluelist_posted_as_attribute_code_brackets_keeps_every_value_as_the_spec_writes_it()
    {
        using var admin = server.Client(Roles.Admin);
        using (var defined = await admin.PostAsync("/admin/services", Json("""
            {"code":"noise-kinds","name":"Noise","description":"Noise.","defaultPriority":"normal","slaHours":40,
             "attributes":[{"code":"kinds","datatype":"multivaluelist","required":false,"description":"Which?","values":[{"key":"music","name":"Music"},{"key":"dogs","name":"Dogs"}]}]}
            """)))
        {
            Assert.True(defined.IsSuccessStatusCode, await defined.Content.ReadAsStringAsync());
        }

        using var client = server.Client();

        // GeoReport v2: "attribute[code1][]=value1&attribute[code1][]=value2" for a multivaluelist.
        using var response = await client.PostAsync("/open311/v2/requests.json", Form(
            ("api_key", "agent-key-a"), ("service_code", "noise-kinds"), ("address_string", "5 Main St"), ("attribute[kinds][]", "music"), ("attribute[kinds][]", "dogs")));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var agent = server.Client(Roles.Agent);
        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{JsonNode.Parse(text)![0]!["token"]!.GetValue<string>()}"));
        Assert.Equal(["music", "dogs"], view["attributes"]!["kinds"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task Optional_fields_posted_empty_are_taken_as_not_posted()
    {
        using var client = server.Client();

        // GeoReport v2: "the response should be the same whether a parameter is passed and is empty or is not passed
        // at all". A client that posts every field of its form sends the ones the citizen left blank empty.
        using var response = await client.PostAsync("/open311/v2/requests.json?api_key=agent-key-a", Form(
            ("api_key", ""), ("jurisdiction_id", ""), ("service_code", "pothole"), ("lat", ""), ("long", ""), ("address_string", "6 Main St"), ("address_id", ""),
            ("email", ""), ("device_id", ""), ("account_id", ""), ("first_name", ""), ("last_name", ""), ("phone", ""), ("description", ""), ("media_url", "")));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var agent = server.Client(Roles.Agent);
        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{JsonNode.Parse(text)![0]!["token"]!.GetValue<string>()}"));
        Assert.Equal("6 Main St", view["location"]!["address"]!.GetValue<string>());
        Assert.Null(view["location"]!["point"]);
    }

    [Fact]
    public async Task The_account_id_answered_is_the_account_id_posted_never_the_email_or_device_id()
    {
        using var client = server.Client();
        async Task<JsonNode> PostAsync(params (string, string)[] citizen)
        {
            using var response = await client.PostAsync("/open311/v2/requests.json", Form(
                [("api_key", "agent-key-a"), ("service_code", "pothole"), ("address_string", "7 Main St"), .. citizen]));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, text);
            return JsonNode.Parse(text)![0]!;
        }

        var withoutAccount = await PostAsync(("email", "ann@example.org"), ("device_id", "tt222111"));
        var withAccount = await PostAsync(("email", "ann@example.org"), ("account_id", "123456"));

        Assert.Null(withoutAccount["account_id"]);
        Assert.Equal("123456", withAccount["account_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stored_text_that_xml_cannot_hold_is_served_as_replacement_characters_in_a_well_formed_document()
    {
        // Written to the store as the importer writes legacy history, past the API's checks: text from an old system
        // with control characters and noncharacters that an XML 1.0 document cannot contain, not even as references.
        var store = server.Services.GetRequiredService<EventCaseDatabase>().Store;
        var caseId = new CaseId("legacy-" + Guid.NewGuid().ToString("N")[..12]);
        var opened = new CaseOpened(caseId, new CaseNumber("LEG", 2015, 7), new AgencyId(AgencyA), new ServiceCode("pothole"), "Hole\u0001 in\u000Bthe \uFFFEroad\uFFFF",
            null, new CaseLocation(new GeoPoint(42.35, -71.06), "1 Main\u001F St"), Channel.Phone, new Dictionary<string, IReadOnlyList<string>>(), CasePriority.Normal,
            SlaTarget.BusinessHours(48), Instant.FromUtc(2015, 3, 2, 14, 0));
        await store.AppendToStreamAsync(CaseStreams.For(new AgencyId(AgencyA), caseId), CaseStreams.StreamType, ExpectedVersion.NoStream,
            [new NewEvent(Guid.NewGuid(), opened, new EventMetadata("system:importer", "system"))], TestContext.Current.CancellationToken);
        using var client = server.Client();

        using var response = await client.GetAsync($"/open311/v2/requests/{caseId.Value}.xml?api_key=agent-key-a");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = XDocument.Parse(text).Root!.Element("request")!;
        Assert.Equal("Hole\uFFFD in\uFFFDthe \uFFFDroad\uFFFD", request.Element("description")!.Value);
        Assert.Equal("1 Main\uFFFD St", request.Element("address")!.Value);
        Assert.DoesNotContain("&#x", text, StringComparison.Ordinal);
        Assert.Equal(0, server.UnexpectedErrorCount);
    }

    [Fact]
    public async Task An_api_key_of_another_agency_does_not_see_the_request()
    {
        var (number, token) = await PostAsync();
        using var client = server.Client();
        using var response = await client.GetAsync($"/open311/v2/requests/{number}.json?api_key=agent-key-b");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var byToken = await client.GetAsync($"/open311/v2/tokens/{token}.json?api_key=agent-key-b");
        Assert.Equal(HttpStatusCode.NotFound, byToken.StatusCode);
    }

    [Fact]
    public async Task Status_notes_are_the_agencys_public_notes_never_the_words_of_the_citizen()
    {
        var id = await server.OpenCaseAsync(AgencyA, citizen: "citizen-5");
        using var citizen = server.Client(Roles.Citizen, citizen: "citizen-5");
        await Cases.CaseRoutesTests.PostOkAsync(citizen, $"/cases/{id}/notes", """{"text":"Call me on 555-0100, I am at 12 Elm St"}""");
        using var agent = server.Client(Roles.Agent);
        var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
        using var anonymous = server.Client();

        foreach (var path in new[] { $"/open311/v2/requests/{number}.json", $"/open311/v2/requests/{number}.xml", "/open311/v2/requests.json", "/open311/v2/requests.xml" })
        {
            Assert.DoesNotContain("555-0100", await anonymous.GetStringAsync(path), StringComparison.Ordinal);
        }

        Assert.Null((await ReadJsonAsync(await anonymous.GetAsync($"/open311/v2/requests/{number}.json")))[0]!["status_notes"]);

        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/notes", """{"text":"A crew is booked for Tuesday","visibility":"public"}""");
        await Cases.CaseRoutesTests.PostOkAsync(citizen, $"/cases/{id}/notes", """{"text":"Thanks, my phone is 555-0100"}""");

        foreach (var key in new[] { "", "?api_key=agent-key-a" })
        {
            var request = (await ReadJsonAsync(await anonymous.GetAsync($"/open311/v2/requests/{number}.json{key}")))[0]!;
            Assert.Equal("A crew is booked for Tuesday", request["status_notes"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_request_posted_as_multipart_form_data_is_taken_like_a_url_encoded_one()
    {
        using var client = server.Client();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("agent-key-a"), "api_key" },
            { new StringContent("pothole"), "service_code" },
            { new StringContent("3 Main St"), "address_string" },
            { new StringContent("deep"), "attribute[depth]" },
        };

        using var response = await client.PostAsync("/open311/v2/requests.json", form);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.NotNull(JsonNode.Parse(text)![0]!["token"]);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded; charset=latin1", "latin1")]
    [InlineData("application/x-www-form-urlencoded; charset=us-ascii", null)]
    [InlineData("application/x-www-form-urlencoded; charset=ISO-8859-1", "ISO-8859-1")]
    [InlineData("application/x-www-form-urlencoded; charset=utf-16", "utf-16")]
    [InlineData("application/x-www-form-urlencoded", null)]
    public async Task A_form_whose_text_is_not_utf_8_is_refused_naming_the_charset_or_the_field_and_opens_nothing(string contentType, string? charset)
    {
        using var client = server.Client();
        var before = await server.EventCountAsync();
        // é as the Latin-1 byte %E9: the form reader of a Latin-1 or US-ASCII form kept "caf%E9" as the description.
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes("api_key=agent-key-a&service_code=pothole&address_string=1+Main+St&description=caf%E9"));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await client.PostAsync("/open311/v2/requests.json", content);

        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray().Single()!;
        if (charset is null)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith("description: ", error["description"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Contains($"charset={charset}", error["description"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_multipart_form_labelled_latin1_is_a_georeport_415_and_a_utf_8_form_keeps_its_text()
    {
        using var client = server.Client();
        var before = await server.EventCountAsync();
        var parts = "--b\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nagent-key-a\r\n--b\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\npothole\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"address_string\"\r\n\r\n1 Main St\r\n--b\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\ncafé\r\n--b--\r\n";
        using var latin1 = new ByteArrayContent(Encoding.Latin1.GetBytes(parts));
        latin1.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b; charset=latin1");
        using var utf8 = new ByteArrayContent(Encoding.ASCII.GetBytes("api_key=agent-key-a&service_code=pothole&address_string=1+Main+St&description=caf%C3%A9"));
        utf8.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");

        using var refused = await client.PostAsync("/open311/v2/requests.json", latin1);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);
        Assert.Equal(before, await server.EventCountAsync());
        using var taken = await client.PostAsync("/open311/v2/requests.json", utf8);

        await AssertOpenedWithDescriptionAsync(taken, "café");
    }

    [Fact]
    public async Task A_multipart_part_that_is_not_utf_8_and_names_no_charset_is_a_georeport_400_naming_it_and_one_naming_its_charset_is_read_in_it()
    {
        using var client = server.Client();
        static byte[] Parts(string descriptionHeaders) =>
            [.. Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nagent-key-a\r\n--b\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\npothole\r\n"
                + "--b\r\nContent-Disposition: form-data; name=\"address_string\"\r\n\r\n1 Main St\r\n--b\r\nContent-Disposition: form-data; name=\"description\"\r\n" + descriptionHeaders + "\r\n"),
             .. Encoding.Latin1.GetBytes("café"), .. Encoding.ASCII.GetBytes("\r\n--b--\r\n")];
        var before = await server.EventCountAsync();
        using var unnamed = new ByteArrayContent(Parts(""));
        unnamed.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        using var named = new ByteArrayContent(Parts("Content-Type: text/plain; charset=iso-8859-1\r\n"));
        named.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");

        using var refused = await client.PostAsync("/open311/v2/requests.json", unnamed);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.StartsWith("description: ", (await ReadJsonAsync(refused))[0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
        using var taken = await client.PostAsync("/open311/v2/requests.json", named);

        await AssertOpenedWithDescriptionAsync(taken, "café");
    }

    /// <summary>Asserts that <paramref name="taken"/> opened a case whose description, as an agent reads it, is <paramref name="description"/>.</summary>
    private async Task AssertOpenedWithDescriptionAsync(HttpResponseMessage taken, string description)
    {
        var text = await taken.Content.ReadAsStringAsync();
        Assert.True(taken.StatusCode == HttpStatusCode.Created, text);
        using var agent = server.Client(Roles.Agent);
        var view = await ReadJsonAsync(await agent.GetAsync($"/cases/{JsonNode.Parse(text)![0]!["token"]!.GetValue<string>()}"));
        Assert.Equal(description, view["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_form_labelled_with_a_content_encoding_is_a_georeport_415_naming_the_header_and_opens_nothing()
    {
        using var client = server.Client();
        var before = await server.EventCountAsync();
        using var content = Form(("api_key", "agent-key-a"), ("service_code", "pothole"), ("address_string", "1 Main St"));
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await client.PostAsync("/open311/v2/requests.json", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.StartsWith("Content-Encoding: gzip", (await ReadJsonAsync(response))[0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_chunked_form_over_the_body_limit_is_a_georeport_413_and_opens_nothing()
    {
        using var client = server.Client();
        var before = await server.EventCountAsync();
        var body = "api_key=agent-key-a&service_code=pothole&address_string=4+Main+St&description=" + new string('x', 100_000);
        using var content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/open311/v2/requests.json") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(413, (await ReadJsonAsync(response))[0]!["code"]!.GetValue<int>());
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_post_with_an_unusable_idempotency_key_is_refused_instead_of_the_key_being_ignored()
    {
        using var client = server.Client();
        var before = await server.EventCountAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/open311/v2/requests.json")
        {
            Content = Form(("api_key", "agent-key-a"), ("service_code", "pothole"), ("address_string", "1 Main St")),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 201));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Idempotency-Key", (await ReadJsonAsync(response))[0]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await server.EventCountAsync());
    }

    [Fact]
    public async Task A_post_reusing_a_key_for_another_service_request_is_refused_and_does_not_answer_with_the_first()
    {
        using var client = server.Client();
        HttpRequestMessage Post(string service) => new(HttpMethod.Post, "/open311/v2/requests.json")
        {
            Content = Form(("api_key", "agent-key-a"), ("service_code", service), ("address_string", "2 Main St"), ("attribute[depth]", "deep")),
            Headers = { { "Idempotency-Key", "o311-key" } },
        };
        using var first = await client.SendAsync(Post("pothole"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var token = (await ReadJsonAsync(first))[0]!["token"]!.GetValue<string>();
        using var retry = await client.SendAsync(Post("pothole"));
        Assert.Equal(token, (await ReadJsonAsync(retry))[0]!["token"]!.GetValue<string>());

        using var reused = await client.SendAsync(Post("graffiti"));

        var text = await reused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Contains("Idempotency-Key", text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
    }
}

internal static class CaseRoutesTestsAccess
{
    public static async Task ResolveAsync(HttpClient agent, string id)
    {
        await Cases.CaseRoutesTests.PostOkAsync(agent, $"/cases/{id}/resolve", """{"resolutionCode":"repaired","publicSummary":"Filled"}""");
    }
}
