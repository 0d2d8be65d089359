using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using EventCase.Server.Tests.Support;
using static EventCase.Server.Tests.Support.ServerFixture;

namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>
/// The Open311 operations of the OpenAPI document, fuzzed as <see cref="OpenApiFuzzTests"/> does the JSON API, with
/// the GeoReport conventions: errors are GeoReport error lists (<c>[{"code","description"}]</c> or
/// <c>&lt;errors&gt;&lt;error&gt;</c>, in the format the path asks for) whose description starts with the field at
/// fault, bodies are forms, and the key is <c>api_key</c>. Each variant is sent for <c>.json</c> and <c>.xml</c>.
/// </summary>
public sealed class Open311FuzzTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Key = "agent-key-a";

    /// <summary>A valid form for POST requests, field by field.</summary>
    private static readonly (string Name, string Value)[] Form =
    [
        ("api_key", Key), ("service_code", "pothole"), ("lat", "42.35"), ("long", "-71.06"), ("address_string", "1 Main St"),
        ("email", "ann@example.org"), ("device_id", "device-1"), ("account_id", "account-1"), ("first_name", "Ann"),
        ("last_name", "Lee"), ("phone", "555-0100"), ("description", "A hole"), ("attribute[depth]", "deep"),
    ];

    public static TheoryData<string, string> Operations =>
        new(ApiDocument.Operations.Where(o => o.Path.StartsWith("/open311/", StringComparison.Ordinal)).Select(o => (o.Method, o.Path)));

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Every_hostile_variant_of_an_open311_operation_is_a_4xx_georeport_error_naming_the_field_that_writes_nothing(string method, string path)
    {
        var operation = ApiDocument.Operations.Single(o => o.Method == method && o.Path == path);
        var id = await server.OpenCaseAsync();
        using var agent = server.Client(EventCase.Server.Auth.Roles.Agent);
        var number = (await ReadJsonAsync(await agent.GetAsync($"/cases/{id}")))["number"]!.GetValue<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["code"] = "pothole", ["id"] = number, ["token"] = id };
        var run = await FuzzRun.StartAsync(server, operation.ToString());
        foreach (var format in new[] { "json", "xml" })
        {
            foreach (var request in Variants(operation, format, values))
            {
                var (status, failure) = await SendAndCheckAsync(request);
                await run.CheckAsync(request, status, failure);
            }
        }

        run.ThrowIfAnyFailed();
    }

    private static IEnumerable<HostileRequest> Variants(ApiOperation operation, string format, Dictionary<string, string> values)
    {
        var isPost = operation.Method == "POST";
        var query = isPost ? new List<(string, string)>() : [("api_key", Key)];
        string Url(string? parameter = null, string? raw = null, IEnumerable<(string, string)>? q = null)
        {
            var path = operation.Path.Replace("{format}", parameter == "format" ? raw! : format, StringComparison.Ordinal);
            foreach (var p in operation.Parameters.Where(p => p.In == "path" && p.Name != "format"))
            {
                path = path.Replace("{" + p.Name + "}", p.Name == parameter ? raw! : Uri.EscapeDataString(values[p.Name]), StringComparison.Ordinal);
            }

            var pairs = (q ?? query).ToList();
            return pairs.Count == 0 ? path : path + "?" + string.Join("&", pairs.Select(x => x.Item1 + "=" + x.Item2));
        }

        HostileRequest Get(string description, Expectation expect, string? field, string url) =>
            new HostileRequest(description, operation.Method, url, expect, field) with
            {
                Body = isPost ? FormBody(Form) : null,
                ContentType = isPost ? "application/x-www-form-urlencoded" : null,
                Strict = true,
            };

        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            var name = parameter.Name switch { "id" => "service_request_id", "code" => "service_code", _ => parameter.Name };
            foreach (var (description, raw, expect) in new (string, string, Expectation)[]
            {
                ("300 characters", new string('a', 300), Expectation.Refused),
                ("a control character", "a%01b", Expectation.Refused),
                ("a line feed", "a%0Ab", Expectation.Refused),
                ("U+FFFF", "a%EF%BF%BFb", Expectation.Refused),
                ("an encoded slash", "a%2Fb", Expectation.Refused),
                ("invalid UTF-8", "a%C3%28b", Expectation.MayBeTaken),
                ("a right-to-left override", "%E2%80%AEa", Expectation.MayBeTaken),
                ("SQL", "%27%20OR%201%3D1%20--", Expectation.MayBeTaken),
                ("another format", "yaml", Expectation.Refused),
                ("a format in capitals", "JSON", Expectation.MayBeTaken),
            })
            {
                if (parameter.Name != "format" && description.Contains("format", StringComparison.Ordinal))
                {
                    continue;
                }

                yield return Get($"path {parameter.Name}: {description}", expect, name, Url(parameter.Name, raw)) with { Strict = false };
            }
        }

        foreach (var parameter in operation.Parameters.Where(p => p.In == "query"))
        {
            var others = query.Where(q => q.Item1 != parameter.Name).ToList();
            var valid = parameter.Name switch
            {
                "api_key" => Key, "jurisdiction_id" => "demo", "service_request_id" => values["id"], "service_code" => "pothole",
                "start_date" => "2026-01-01T00:00:00Z", "end_date" => "2100-01-01T00:00:00Z", "status" => "open", _ => "x",
            };
            // On a post the form's api_key is left out, so that the one in the query is the one read.
            HostileRequest With(string description, Expectation expect, params string[] raws) =>
                Get($"query {parameter.Name}: {description}", expect, parameter.Name, Url(q: [.. others, .. raws.Select(r => (parameter.Name, r))])) with
                {
                    Body = isPost ? FormBody(parameter.Name == "api_key" ? Form.Where(f => f.Name != "api_key") : Form) : null,
                };

            var list = parameter.Shape.Kind == SchemaKind.Array;
            yield return With("given twice", list ? Expectation.MayBeTaken : Expectation.Refused, Uri.EscapeDataString(valid), Uri.EscapeDataString(valid));
            yield return With("an encoded NUL", Expectation.Refused, "a%00b");
            yield return With("a control character", Expectation.Refused, "a%07b");
            yield return With("U+FFFE", Expectation.Refused, "a%EF%BF%BEb");
            yield return With("empty", Expectation.MayBeTaken, "") with { Field = null };
            yield return With("blank", Expectation.MayBeTaken, "%20%20") with { Field = null };
            yield return With("a right-to-left override", Expectation.MayBeTaken, "%E2%80%AE" + Uri.EscapeDataString(valid));
            yield return With("invalid UTF-8", Expectation.MayBeTaken, "a%C3%28b");
            yield return With("200 kB", Expectation.MayBeTaken, new string('q', 200_000));
            switch (parameter.Name)
            {
                case "api_key":
                    yield return With("a key no client has", Expectation.Refused, "no-such-key") with { Field = null };
                    break;
                case "jurisdiction_id":
                    yield return With("another jurisdiction", Expectation.Refused, "elsewhere") with { Field = null };
                    break;
                case "service_request_id":
                    yield return With("201 ids", Expectation.Refused, string.Join(",", Enumerable.Repeat(values["id"], 201)));
                    yield return With("only commas", Expectation.MayBeTaken, ",,,");
                    break;
                case "status":
                    yield return With("an unknown status", Expectation.Refused, "pending");
                    yield return With("a known and an unknown status", Expectation.Refused, "open,pending");
                    break;
                case "service_code":
                    yield return With("no service code", Expectation.Refused, "a%20b");
                    break;
                case "start_date" or "end_date":
                    foreach (var (description, raw) in new[]
                    {
                        ("not a date", "yesterday"), ("year 10000", "10000-01-01T00:00:00Z"), ("30 February", "2026-02-30T00:00:00Z"),
                        ("year 1", "0001-01-01T00:00:00Z"), ("NaN", "NaN"), ("a huge offset", "2026-01-01T00:00:00%2B99:00"),
                    })
                    {
                        yield return With(description, Expectation.Refused, raw);
                    }

                    break;
            }
        }

        if (!isPost)
        {
            yield return Get("no api_key", Expectation.MayBeTaken, null, Url(q: []));
            yield return Get("Accept: text/html only", Expectation.MayBeTaken, null, Url()) with { Headers = [("Accept", "text/html")] };
            yield break;
        }

        HostileRequest Post(string description, Expectation expect, string? field, (string Name, string Value)[] form) =>
            Get("form: " + description, expect, field, Url()) with { Body = FormBody(form) };

        yield return Post("no api_key", Expectation.Refused, null, [.. Form.Where(f => f.Name != "api_key")]);
        foreach (var (name, value) in Form)
        {
            var at = Array.FindIndex(Form, f => f.Name == name);
            (string, string)[] With(string raw) => [.. Form.Take(at), (name, raw), .. Form.Skip(at + 1)];
            var required = name is "service_code";
            if (name != "api_key")
            {
                yield return Post($"{name} missing", required ? Expectation.Refused : Expectation.MayBeTaken, name, [.. Form.Where(f => f.Name != name)]);
            }

            yield return Post($"{name} given twice", Expectation.Refused, name, [.. Form, (name, value)]);
            yield return Post($"{name} given twice in another letter case", Expectation.MayBeTaken, null, [.. Form, (name.ToUpperInvariant(), value)]);
            yield return Post($"{name} empty", required ? Expectation.Refused : Expectation.MayBeTaken, name, With(""));
            yield return Post($"{name} with a NUL", Expectation.Refused, name == "api_key" ? null : name, With("a\0b"));
            yield return Post($"{name} with a control character", Expectation.Refused, name == "api_key" ? null : name, With("a\u0001b"));
            yield return Post($"{name} with U+FFFF", Expectation.Refused, name == "api_key" ? null : name, With("a\uffffb"));
            yield return Post($"{name} with a right-to-left override", Expectation.MayBeTaken, name, With("\u202e" + value));
            yield return Post($"{name} with a zero-width space", Expectation.MayBeTaken, name, With(value + "\u200b"));
            yield return Post($"{name} of 200 kB", Expectation.Refused, null, With(new string('x', 200_000)));
            yield return Post($"{name} of 5,000 characters", Expectation.MayBeTaken, name, With(new string('x', 5000)));
            yield return Post($"{name} as SQL", Expectation.MayBeTaken, name, With("'; DROP TABLE eventcase.events; --"));
            if (name is "lat" or "long")
            {
                foreach (var raw in new[] { "NaN", "Infinity", "-Infinity", "1e400", "1000", "-1000", "north", "1,5", "0x10", "42.35.1" })
                {
                    yield return Post($"{name} of {raw}", Expectation.Refused, name, With(raw));
                }
            }
        }

        yield return Post("an attribute the service does not have", Expectation.MayBeTaken, "attribute", [.. Form, ("attribute[nope]", "x")]);
        yield return Post("an attribute value the list does not have", Expectation.MayBeTaken, "attribute", [.. Form.Where(f => f.Name != "attribute[depth]"), ("attribute[depth]", "bottomless")]);
        yield return Post("an attribute code with a NUL", Expectation.Refused, "a field name", [.. Form, ("attribute[a\0b]", "x")]);
        yield return Post("an attribute without a code", Expectation.MayBeTaken, "attribute", [.. Form, ("attribute[]", "x")]);
        yield return Post("an attribute bracket left open", Expectation.MayBeTaken, "attribute", [.. Form, ("attribute[depth", "x")]);
        yield return Post("a field no GeoReport request has", Expectation.MayBeTaken, null, [.. Form, ("zz_unknown", "x")]);
        yield return Post("a field name with a NUL", Expectation.MayBeTaken, null, [.. Form, ("zz\0", "x")]);

        HostileRequest Raw(string description, Expectation expect, byte[] body, string? contentType) =>
            Get("body: " + description, expect, null, Url()) with { Body = body, ContentType = contentType };

        var form = FormBody(Form);
        yield return Raw("JSON", Expectation.Refused, """{"service_code":"pothole"}"""u8.ToArray(), "application/json");
        yield return Raw("XML", Expectation.Refused, "<service_code>pothole</service_code>"u8.ToArray(), "application/xml");
        yield return Raw("a form sent as text/plain", Expectation.Refused, form, "text/plain");
        yield return Raw("a form without a content type", Expectation.Refused, form, null);
        yield return Raw("multipart without a boundary", Expectation.Refused, form, "multipart/form-data");
        yield return Raw("multipart cut short", Expectation.Refused, "--b\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\npothole"u8.ToArray(), "multipart/form-data; boundary=b");
        yield return Raw("multipart with a 200-character boundary", Expectation.Refused, "--x--"u8.ToArray(), "multipart/form-data; boundary=" + new string('b', 200));
        yield return Raw("a form of 2 MB", Expectation.Refused, [.. form, .. Encoding.ASCII.GetBytes("&description=" + new string('x', 2_000_000))], "application/x-www-form-urlencoded");
        yield return Raw("a form of 10,000 fields", Expectation.Refused, Encoding.ASCII.GetBytes(string.Join("&", Enumerable.Range(0, 10_000).Select(i => $"f{i}=1"))), "application/x-www-form-urlencoded");
        // A form is read as UTF-8 only: text in another encoding is refused, never written as something else.
        yield return Raw("a form with invalid UTF-8", Expectation.Refused, [.. form, .. "&description=a"u8, 0xC3, 0x28], "application/x-www-form-urlencoded");
        yield return Raw("a form with a percent-escaped Latin-1 byte", Expectation.Refused, [.. form, .. "&description=caf%E9"u8], "application/x-www-form-urlencoded");
        yield return Raw("a form labelled Latin-1", Expectation.Refused, [.. form, .. "&description=caf%E9"u8], "application/x-www-form-urlencoded; charset=latin1");
        yield return Raw("a form with a bad percent escape", Expectation.MayBeTaken, [.. form, .. "&description=%ZZ%"u8], "application/x-www-form-urlencoded");
        yield return Raw("a form labelled UTF-16", Expectation.Refused, form, "application/x-www-form-urlencoded; charset=utf-16");
        yield return Raw("binary", Expectation.MayBeTaken, [0xFF, 0xFE, 0x00, 0x01, 0x3D, 0x26], "application/x-www-form-urlencoded");
        yield return Raw("empty", Expectation.Refused, [], "application/x-www-form-urlencoded");
        foreach (var (header, value) in new[] { ("Idempotency-Key", new string('k', 300)), ("Idempotency-Key", "key\twith-a-tab"), ("Idempotency-Key", "clé") })
        {
            yield return Get($"header {header}: {value[..Math.Min(value.Length, 20)]}", Expectation.Refused, header, Url()) with { Headers = [(header, value)] };
        }
    }

    private static byte[] FormBody(IEnumerable<(string Name, string Value)> fields) =>
        Encoding.UTF8.GetBytes(string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Name) + "=" + Uri.EscapeDataString(f.Value))));

    private async Task<(int Status, string? Failure)> SendAndCheckAsync(HostileRequest request)
    {
        using var client = server.Client();
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.PathAndQuery);
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (request.Body is { } body)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = null;
            if (request.ContentType is { } contentType)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        using var response = await client.SendAsync(message, TestContext.Current.CancellationToken);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return (status, Check(request, status, response.Content.Headers.ContentType, text));
    }

    private static string? Check(HostileRequest request, int status, MediaTypeHeaderValue? contentType, string text)
    {
        var shown = text.Length > 300 ? text[..300] + "…" : text;
        if (status >= 500)
        {
            return $"{status} {shown}";
        }

        switch (request.Expect)
        {
            case Expectation.Refused when status < 400:
                return $"{status}: taken, not refused: {shown}";
            case Expectation.Refused when request.Strict && status is not (400 or 403 or 404 or 413 or 415):
                return $"{status}, not a GeoReport refusal: {shown}";
        }

        if (status < 400)
        {
            return null;
        }

        // A path whose format is not json or xml gets the JSON list; otherwise the format the path asks for.
        var xml = request.PathAndQuery.Split('?')[0].EndsWith(".xml", StringComparison.Ordinal);
        string? description;
        try
        {
            if (xml)
            {
                var error = XDocument.Parse(text).Root;
                description = error?.Name == "errors" ? error.Element("error")?.Element("description")?.Value : null;
                if (error?.Element("error")?.Element("code")?.Value != status.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    return $"{status} whose XML error code is not the status: {shown}";
                }
            }
            else
            {
                var error = JsonNode.Parse(text)?.AsArray().Single();
                description = error?["description"]?.GetValue<string>();
                if (error?["code"]?.GetValue<int>() != status)
                {
                    return $"{status} whose JSON error code is not the status: {shown}";
                }
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or System.Xml.XmlException or InvalidOperationException)
        {
            return $"{status} as {contentType?.MediaType ?? "no content type"} that is no GeoReport error list in {(xml ? "XML" : "JSON")}: {shown}";
        }

        if (string.IsNullOrWhiteSpace(description))
        {
            return $"{status} without a description: {shown}";
        }

        if (text.Contains("Exception", StringComparison.Ordinal) || text.Contains("EventCase.", StringComparison.Ordinal))
        {
            return $"{status} that shows internals: {shown}";
        }

        if (request.Field is { } field && status == 400 && !description.Contains(field, StringComparison.Ordinal))
        {
            return $"{status} that does not name '{field}': {shown}";
        }

        return null;
    }
}
