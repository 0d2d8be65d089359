using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using EventCase.Server.Auth;

namespace EventCase.Server.Tests.Http.Fuzzing;

/// <summary>
/// A valid request to an operation (path values, required query values, a body) and the hostile variants of it the
/// fuzzer sends: each changes one thing, so that the field a refusal must name is known.
/// </summary>
internal sealed class OperationUnderTest(ApiOperation operation)
{
    private const string Sentinel = "zz-raw-sentinel-zz";
    private static readonly byte[] QuotedSentinel = Encoding.UTF8.GetBytes($"\"{Sentinel}\"");

    public ApiOperation Operation { get; } = operation;

    /// <summary>The value of each path parameter (a case of the agency, a service code and rule id that exist).</summary>
    public Dictionary<string, string> PathValues { get; } = new(StringComparer.Ordinal);

    /// <summary>The value of each required query parameter, and of the others where one is needed to probe.</summary>
    public Dictionary<string, string> QueryValues { get; } = new(StringComparer.Ordinal);

    /// <summary>A valid body, when the operation takes JSON.</summary>
    public JsonObject? Body { get; set; }

    /// <summary>The role the variants are sent with (allowed to call the operation).</summary>
    public string Role { get; set; } = Roles.Admin;

    /// <summary>The other roles allowed to call it, and those not allowed.</summary>
    public IReadOnlyList<string> OtherAllowedRoles { get; set; } = [];

    public IReadOnlyList<string> ForbiddenRoles { get; set; } = [];

    public bool Anonymous { get; set; }

    /// <summary>A paging cursor the operation gave out, to forge and cut short.</summary>
    public string? RealCursor { get; set; }

    private bool IsWrite => Operation.Method is not "GET";

    /// <summary>Whether the operation honours If-Match, so that a malformed one must be refused rather than ignored.</summary>
    public bool HonoursIfMatch { get; set; }

    /// <summary>Whether the operation honours Idempotency-Key, so that a malformed one must be refused rather than ignored.</summary>
    public bool HonoursIdempotencyKey { get; set; }

    /// <summary>Every variant, in a fixed order.</summary>
    public IEnumerable<HostileRequest> Variants()
    {
        foreach (var variant in RoleVariants())
        {
            yield return variant;
        }

        foreach (var variant in PathVariants())
        {
            yield return variant;
        }

        foreach (var variant in QueryVariants())
        {
            yield return variant;
        }

        // Reads too: those that send an ETag honour If-Match and If-None-Match (docs/api.md, "Conditional reads").
        foreach (var variant in HeaderVariants())
        {
            yield return variant;
        }

        if (Operation.JsonBody is { } schema && Body is not null)
        {
            foreach (var variant in RootBodyVariants(Role))
            {
                yield return variant;
            }

            foreach (var variant in MemberVariants(schema, Body, []))
            {
                yield return variant;
            }

            foreach (var role in OtherAllowedRoles)
            {
                foreach (var variant in RootBodyVariants(role))
                {
                    yield return variant;
                }
            }
        }
    }

    /// <summary>The path with the given (or the valid) path values, escaped, and the query.</summary>
    public string Url(IReadOnlyDictionary<string, string>? rawPath = null, IEnumerable<(string Name, string RawValue)>? query = null)
    {
        var path = Operation.Path;
        foreach (var parameter in Operation.Parameters.Where(p => p.In == "path"))
        {
            var value = rawPath is not null && rawPath.TryGetValue(parameter.Name, out var raw) ? raw : Uri.EscapeDataString(PathValues[parameter.Name]);
            path = path.Replace("{" + parameter.Name + "}", value, StringComparison.Ordinal);
        }

        var pairs = (query ?? QueryValues.Select(q => (q.Key, Uri.EscapeDataString(q.Value)))).ToList();
        return pairs.Count == 0 ? path : path + "?" + string.Join("&", pairs.Select(p => p.Item1 + "=" + p.Item2));
    }

    private HostileRequest Request(string description, Expectation expect, string? field, string? role = null, string? url = null) =>
        new(description, Operation.Method, url ?? Url(), expect, field)
        {
            Role = role ?? Role,
            Body = Body is null ? null : Encoding.UTF8.GetBytes(Body.ToJsonString()),
            ContentType = Body is null ? null : "application/json",
            Strict = true,
        };

    private IEnumerable<HostileRequest> RoleVariants()
    {
        if (Anonymous)
        {
            yield break;
        }

        yield return Request("no token", Expectation.Unauthenticated, null) with { Role = null };
        yield return Request("a token that is no JWT", Expectation.Unauthenticated, null) with
        {
            Role = null, Headers = [("Authorization", "Bearer not.a.token")],
        };
        foreach (var role in ForbiddenRoles)
        {
            yield return Request("a role the operation does not take, valid request", Expectation.Forbidden, null, role);
            if (Body is not null)
            {
                yield return Request("a role the operation does not take, body not JSON", Expectation.Forbidden, null, role) with
                {
                    Body = "\u0000not json"u8.ToArray(),
                };
            }
        }
    }

    private IEnumerable<HostileRequest> PathVariants()
    {
        foreach (var parameter in Operation.Parameters.Where(p => p.In == "path"))
        {
            foreach (var (description, raw, expect) in new (string, string, Expectation)[]
            {
                ("300 characters", new string('a', 300), Expectation.Refused),
                ("4,000 characters", new string('b', 4000), Expectation.Refused),
                // An encoded NUL never reaches the service: Kestrel refuses the request line (KestrelRequestValuesTests), and
                // the in-memory test server throws before sending it.
                ("a control character", "a%01b", Expectation.Refused),
                ("a line feed", "a%0Ab", Expectation.Refused),
                ("..", "..", Expectation.MayBeTaken),
                ("an encoded slash", "..%2F..%2Fetc%2Fpasswd", Expectation.MayBeTaken),
                ("an encoded backslash", "a%5Cb", Expectation.MayBeTaken),
                ("U+FFFF", "a%EF%BF%BFb", Expectation.Refused),
                ("an unpaired surrogate (CESU-8)", "a%ED%A0%80b", Expectation.MayBeTaken),
                ("invalid UTF-8", "a%C3%28b", Expectation.MayBeTaken),
                ("a right-to-left override", "%E2%80%AEa", Expectation.MayBeTaken),
                ("a zero-width space", "a%E2%80%8Bb", Expectation.MayBeTaken),
                ("a space", "a%20b", Expectation.MayBeTaken),
                ("SQL", "%27%20OR%201%3D1%20--", Expectation.MayBeTaken),
                ("a percent sign", "a%25b", Expectation.MayBeTaken),
            })
            {
                var url = Url(new Dictionary<string, string>(StringComparer.Ordinal) { [parameter.Name] = raw });
                // A route value that is no id is a 404 (no such resource) or a 400 naming it. An actor id is any subject, so
                // slashes may be one; ".." is removed by the client (RFC 3986 dot segments), so it names no parameter.
                yield return Request($"path {parameter.Name}: {description}", expect, raw == ".." ? null : parameter.Name, url: url) with { Strict = false };
            }
        }
    }

    private IEnumerable<HostileRequest> QueryVariants()
    {
        var query = Operation.Parameters.Where(p => p.In == "query").ToList();
        foreach (var parameter in query)
        {
            var others = QueryValues.Where(q => q.Key != parameter.Name).Select(q => (q.Key, Uri.EscapeDataString(q.Value))).ToList();
            HostileRequest With(string description, Expectation expect, params string[] rawValues) =>
                Request($"query {parameter.Name}: {description}", expect, parameter.Name,
                    url: Url(query: [.. others, .. rawValues.Select(v => (parameter.Name, v))]));

            if (parameter.Required)
            {
                yield return With("missing", Expectation.Refused);
            }

            var valid = QueryValues.GetValueOrDefault(parameter.Name) ?? SampleQueryValue(parameter.Shape);
            var twice = parameter.Shape.Kind == SchemaKind.Array ? Expectation.MayBeTaken : Expectation.Refused;
            yield return With("given twice", twice, Uri.EscapeDataString(valid), Uri.EscapeDataString(valid));
            yield return With("given twice in another letter case", twice, Uri.EscapeDataString(valid)) with
            {
                PathAndQuery = Url(query: [.. others, (parameter.Name, Uri.EscapeDataString(valid)), (parameter.Name.ToUpperInvariant(), Uri.EscapeDataString(valid))]),
            };
            yield return With("an encoded NUL", Expectation.Refused, "a%00b");
            yield return With("a control character", Expectation.Refused, "a%07b");
            yield return With("U+FFFE", Expectation.Refused, "a%EF%BF%BEb");
            yield return With("empty", Expectation.MayBeTaken, "") with { Field = null }; // read as not given
            yield return With("blank", Expectation.MayBeTaken, "%20%20") with { Field = null };
            yield return With("a right-to-left override", Expectation.MayBeTaken, "%E2%80%AE" + Uri.EscapeDataString(valid));
            yield return With("a zero-width space", Expectation.MayBeTaken, Uri.EscapeDataString(valid) + "%E2%80%8B");
            yield return With("invalid UTF-8", Expectation.MayBeTaken, "a%C3%28b");
            yield return With("200 kB", Expectation.MayBeTaken, new string('q', 200_000));

            switch (parameter.Shape.Kind)
            {
                case SchemaKind.Integer:
                    foreach (var (description, raw) in new[]
                    {
                        ("not a number", "many"), ("NaN", "NaN"), ("fractional", "1.5"), ("an exponent", "1e3"), ("hexadecimal", "0x10"),
                        ("huge", "99999999999999999999999"), ("negative", "-1"), ("a plus sign", "%2B5"), ("spaces around", "%205%20"),
                    })
                    {
                        yield return With(description, Expectation.Refused, raw);
                    }

                    if (parameter.Shape.Minimum is { } min)
                    {
                        yield return With("below the minimum", Expectation.Refused, (min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    if (parameter.Shape.Maximum is { } max and < long.MaxValue)
                    {
                        yield return With("above the maximum", Expectation.Refused, (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    break;
                case SchemaKind.Boolean:
                    yield return With("neither true nor false", Expectation.Refused, "maybe");
                    yield return With("a number", Expectation.Refused, "1");
                    break;
                case SchemaKind.Enum:
                    yield return With("an unknown value", Expectation.Refused, "noSuchValue");
                    yield return With("a number", Expectation.Refused, "1");
                    yield return With("two values", Expectation.Refused, string.Join(",", parameter.Shape.EnumValues.Take(2)));
                    break;
                case SchemaKind.Array when parameter.Shape.Items is { Kind: SchemaKind.Enum } items:
                    yield return With("an unknown value in the list", Expectation.Refused, items.EnumValues[0] + ",noSuchValue");
                    yield return With("a number in the list", Expectation.Refused, "1");
                    break;
                case SchemaKind.String when parameter.Shape.Format == "date-time":
                    foreach (var (description, raw) in new[]
                    {
                        ("not a date", "yesterday"), ("without an offset", "2026-03-03T14:00:00"), ("year 10000", "10000-01-01T00:00:00Z"),
                        ("year 1800", "1800-01-01T00:00:00Z"), ("30 February", "2026-02-30T00:00:00Z"), ("a date only", "2026-03-03"),
                        ("year 1", "0001-01-01T00:00:00Z"), ("NaN", "NaN"),
                    })
                    {
                        yield return With(description, Expectation.Refused, raw);
                    }

                    break;
                case SchemaKind.String when parameter.Shape.Format == "date":
                    foreach (var (description, raw) in new[]
                    {
                        ("not a date", "yesterday"), ("month 13", "2026-13-01"), ("year 10000", "10000-01-01"), ("an instant", "2026-03-03T00:00:00Z"),
                        ("year 1", "0001-01-01"), ("NaN", "NaN"),
                    })
                    {
                        yield return With(description, Expectation.Refused, raw);
                    }

                    break;
            }

            if (parameter.Name == "cursor")
            {
                yield return With("forged", Expectation.Refused, Base64Url.EncodeToString("2026-01-01T00:00:00Z\nforged"u8));
                yield return With("not base64", Expectation.Refused, "%21%21%21");
                yield return With("forged, a huge number", Expectation.Refused, Base64Url.EncodeToString("99999999999999999999999\n1"u8));
                if (RealCursor is { } cursor)
                {
                    // A cursor is an unsigned keyset position (base64 of the last row's sort values): cut within the case
                    // id it still names a position, and the page after it, of the caller's agency, is a fair answer.
                    yield return With("cut short", Expectation.MayBeTaken, cursor[..(cursor.Length / 2)]);
                    yield return With("one character short", Expectation.MayBeTaken, cursor[..^1]);
                    yield return With("with a character more", Expectation.MayBeTaken, cursor + "A");
                    yield return With("with its separators removed", Expectation.Refused,
                        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Replace("\n", "", StringComparison.Ordinal))));
                }
            }
        }

        if (query.Count > 0)
        {
            var first = query.FirstOrDefault(q => q.Shape.Kind != SchemaKind.Array && q.Shape.Kind != SchemaKind.String) ?? query[0];
            yield return Request($"query {first.Name} with Accept: application/xml", Expectation.MayBeTaken, first.Name,
                url: Url(query: [.. QueryValues.Where(q => q.Key != first.Name).Select(q => (q.Key, Uri.EscapeDataString(q.Value))), (first.Name, "a%00b")])) with
            {
                Headers = [("Accept", "application/xml")],
            };
        }

        // A parameter no route reads is ignored (docs/api.md).
        yield return Request("an unknown query parameter", Expectation.MayBeTaken, null,
            url: Url(query: [.. QueryValues.Select(q => (q.Key, Uri.EscapeDataString(q.Value))), ("zzUnknown", "%00")]));
    }

    private IEnumerable<HostileRequest> HeaderVariants()
    {
        foreach (var (header, value, expect) in new (string, string, Expectation)[]
        {
            ("If-Match", "\"three\"", Expectation.Refused),
            ("If-Match", "W/\"-4\"", Expectation.Refused),
            ("If-Match", "\"99999999999999999999999\"", Expectation.Refused),
            ("If-Match", "\"-1\"", Expectation.Refused),
            ("If-Match", "\"\"", Expectation.Refused),
            // An entity tag is quoted (RFC 9110 §8.8.3): a bare or half-quoted version is malformed, not read as one.
            ("If-Match", "5", Expectation.Refused),
            ("If-Match", "\"5", Expectation.Refused),
            ("If-Match", "*, \"1\"", Expectation.Refused),
            // A list matches when it holds the current version; weak tags never do (a 412).
            ("If-Match", "\"1\", \"2\"", Expectation.MayBeTaken),
            ("If-Match", "W/\"1\"", Expectation.MayBeTaken),
            ("If-Match", "*", Expectation.MayBeTaken),
            ("If-Match", "\"999999\"", Expectation.MayBeTaken),
            ("If-Match", new string('"', 5000), Expectation.Refused),
            // Writes ignore If-None-Match; reads that send an ETag answer 304 to a match and 400 naming it when malformed.
            ("If-None-Match", "*", Expectation.MayBeTaken),
            ("If-None-Match", "W/\"1\", \"2\"", Expectation.MayBeTaken),
            ("If-None-Match", "\"2-gzip\"", Expectation.MayBeTaken),
            ("If-None-Match", "2", Expectation.MayBeTaken),
            ("If-None-Match", "*, \"1\"", Expectation.MayBeTaken),
            ("If-None-Match", "\"é\"", Expectation.MayBeTaken),
            ("If-None-Match", string.Join(", ", Enumerable.Range(0, 101).Select(i => $"\"{i}\"")), Expectation.MayBeTaken),
            ("If-None-Match", new string('"', 5000), Expectation.MayBeTaken),
            ("Idempotency-Key", new string('k', 300), Expectation.Refused),
            ("Idempotency-Key", "key\twith-a-tab", Expectation.Refused),
            ("Idempotency-Key", "clé", Expectation.Refused),
            ("Idempotency-Key", "a\u0001b", Expectation.Refused),
            ("Idempotency-Key", " ", Expectation.MayBeTaken),
            ("Idempotency-Key", "", Expectation.MayBeTaken),
        })
        {
            var honoured = header switch
            {
                "If-Match" => HonoursIfMatch,
                "Idempotency-Key" => HonoursIdempotencyKey,
                _ => false,
            };
            yield return Request($"header {header}: {Printable(value)}", honoured ? expect : Expectation.MayBeTaken, header) with { Headers = [(header, value)] };
        }

        yield return Request("header Idempotency-Key given twice", Expectation.MayBeTaken, "Idempotency-Key") with
        {
            Headers = [("Idempotency-Key", "key-one"), ("Idempotency-Key", "key-two")],
        };
        yield return Request("header If-Match given twice", Expectation.MayBeTaken, "If-Match") with
        {
            Headers = [("If-Match", "\"1\""), ("If-Match", "\"2\"")],
        };
    }

    private IEnumerable<HostileRequest> RootBodyVariants(string role)
    {
        HostileRequest With(string description, Expectation expect, string? field, byte[] body, string contentType = "application/json") =>
            Request("body: " + description, expect, field, role) with { Body = body, ContentType = contentType };

        yield return With("not JSON", Expectation.Refused, null, "hello"u8.ToArray());
        yield return With("cut short", Expectation.Refused, null, "{\"a\":"u8.ToArray());
        yield return With("a trailing comma", Expectation.Refused, null, Encoding.UTF8.GetBytes(Body!.ToJsonString()[..^1] + ",}"));
        yield return With("two objects", Expectation.Refused, null, Encoding.UTF8.GetBytes(Body.ToJsonString() + Body.ToJsonString()));
        yield return With("a comment", Expectation.Refused, null, Encoding.UTF8.GetBytes("/* hi */" + Body.ToJsonString()));
        foreach (var root in new[] { "[]", "[{}]", "42", "-1.5e400", "\"text\"", "null", "true" })
        {
            yield return With("a root of " + root, Expectation.Refused, "body", Encoding.UTF8.GetBytes(root));
        }

        yield return With("10,000 nested arrays", Expectation.Refused, null, Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)));
        yield return With("10,000 nested objects", Expectation.Refused, null,
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)));
        yield return With("10,000 unclosed arrays", Expectation.Refused, null, Encoding.UTF8.GetBytes(new string('[', 10_000)));
        yield return With("invalid UTF-8 outside a string", Expectation.Refused, null, [(byte)'{', 0xFF, 0xFE, (byte)'}']);
        yield return With("UTF-16", Expectation.Refused, null, Encoding.Unicode.GetBytes(Body.ToJsonString()));
        yield return With("a NUL byte after the object", Expectation.Refused, null, [.. Encoding.UTF8.GetBytes(Body.ToJsonString()), 0]);
        yield return With("an unknown member", Expectation.Refused, "zzUnknown", SetMember(Body, "zzUnknown", "1"));
        yield return With("an unknown member holding 10,000 nested arrays", Expectation.Refused, null,
            SetMember(Body, "zzUnknown", new string('[', 10_000) + new string(']', 10_000)));
        yield return With("200 kB of whitespace", Expectation.Refused, null, Encoding.UTF8.GetBytes(new string(' ', 200_000) + Body.ToJsonString()));
        yield return With("2 MB unknown member", Expectation.Refused, null, SetMember(Body, "zzUnknown", "\"" + new string('x', 2_000_000) + "\""));
        yield return With("sent as text/plain", Expectation.Refused, null, Encoding.UTF8.GetBytes(Body.ToJsonString()), "text/plain");
        yield return With("sent as application/xml", Expectation.Refused, null, "<a/>"u8.ToArray(), "application/xml");
        yield return With("sent as a form", Expectation.Refused, null, "team=roads"u8.ToArray(), "application/x-www-form-urlencoded");
        yield return With("sent as multipart without a boundary", Expectation.Refused, null, "--x--"u8.ToArray(), "multipart/form-data");
        yield return With("sent as application/jsonx", Expectation.Refused, null, Encoding.UTF8.GetBytes(Body.ToJsonString()), "application/jsonx");
        yield return With("a Content-Type that is no media type", Expectation.Refused, null, Encoding.UTF8.GetBytes(Body.ToJsonString()), ";;;");
        // JSON is read as UTF-8 only (RFC 8259 §8.1): another charset is a 415 naming it, never text read as something else.
        yield return With("JSON labelled UTF-16", Expectation.Refused, null, Encoding.UTF8.GetBytes("[]"), "application/json; charset=utf-16");
        yield return With("JSON labelled Latin-1", Expectation.Refused, null, Encoding.UTF8.GetBytes(Body.ToJsonString()), "application/json; charset=latin1");
        yield return With("an array with Accept: application/xml", Expectation.Refused, "body", "[]"u8.ToArray()) with
        {
            Headers = [("Accept", "application/xml")],
        };
        yield return With("an array with Accept: text/html only", Expectation.Refused, "body", "[]"u8.ToArray()) with
        {
            Headers = [("Accept", "text/html")],
        };
    }

    private IEnumerable<HostileRequest> MemberVariants(SchemaShape schema, JsonObject body, List<object> prefix)
    {
        var members = schema.Members().ToList();
        if (prefix.Count > 0)
        {
            yield return Member("an unknown member", Expectation.Refused, [.. prefix, "zzUnknown"], "1", body);
        }

        if (members.Count > 0)
        {
            var first = members[0];
            var upper = char.ToUpperInvariant(first.Name[0]) + first.Name[1..];
            yield return Member($"{first.Name} in another letter case", Expectation.Refused, [.. prefix, upper],
                ValueAt(body, [.. prefix, first.Name])?.ToJsonString() ?? "\"x\"", body);
            var value = ValueAt(body, [.. prefix, first.Name])?.ToJsonString() ?? Sample(first.Shape)?.ToJsonString() ?? "null";
            yield return Member($"{first.Name} given twice", Expectation.Refused, [.. prefix, first.Name], $"{value},\"{first.Name}\":{value}", body);
        }

        foreach (var (name, shape, required) in members)
        {
            List<object> path = [.. prefix, name];
            if (required)
            {
                yield return Remove("missing", path, body);
            }

            yield return Member("null", required && !shape.Nullable ? Expectation.Refused : Expectation.MayBeTaken, path, "null", body);
            foreach (var variant in ValueVariants(shape, required, path, body))
            {
                yield return variant;
            }
        }
    }

    private IEnumerable<HostileRequest> ValueVariants(SchemaShape shape, bool required, List<object> path, JsonObject body)
    {
        IEnumerable<(string, Expectation, string)> WrongTypes(params string[] values) =>
            values.Select(v => ($"wrong type {v}", Expectation.Refused, v));

        var variants = new List<(string Description, Expectation Expect, string Raw)>();
        switch (shape.Kind)
        {
            case SchemaKind.String:
                var blank = required ? Expectation.Refused : Expectation.MayBeTaken;
                var isDate = shape.Format is "date" or "date-time";
                variants.AddRange(WrongTypes("42", "true", "{}", "[]", "1.5"));
                variants.AddRange(
                [
                    ("empty", blank, "\"\""),
                    ("blank", blank, "\"   \""),
                    ("a NUL", Expectation.Refused, "\"a\\u0000b\""),
                    ("a control character", Expectation.Refused, "\"a\\u0001b\""),
                    ("a DEL", Expectation.Refused, "\"a\\u007fb\""),
                    ("an escape", Expectation.Refused, "\"\\u001b[31mred\""),
                    ("an unpaired surrogate", Expectation.Refused, "\"a\\ud800b\""),
                    ("U+FFFF", Expectation.Refused, "\"a\\uffffb\""),
                    ("U+FDD0", Expectation.Refused, "\"a\\ufdd0b\""),
                    ("a right-to-left override", Expectation.MayBeTaken, "\"\\u202eevil\""),
                    ("a zero-width space", Expectation.MayBeTaken, "\"a\\u200bb\""),
                    ("NaN", isDate ? Expectation.Refused : Expectation.MayBeTaken, "\"NaN\""),
                    ("-Infinity", isDate ? Expectation.Refused : Expectation.MayBeTaken, "\"-Infinity\""),
                    ("year 10000", isDate ? Expectation.Refused : Expectation.MayBeTaken, "\"10000-01-01T00:00:00Z\""),
                    ("without an offset", isDate ? Expectation.Refused : Expectation.MayBeTaken, "\"2026-03-03T14:00:00\""),
                    ("year 1800", shape.Format == "date" ? Expectation.Refused : Expectation.MayBeTaken, "\"1800-01-01\""),
                    ("30 February", isDate ? Expectation.Refused : Expectation.MayBeTaken, "\"2026-02-30\""),
                    ("5,000 characters", Expectation.MayBeTaken, "\"" + new string('x', 5000) + "\""),
                    ("200 kB", Expectation.Refused, "\"" + new string('x', 200_000) + "\""),
                    ("SQL", Expectation.MayBeTaken, "\"'; DROP TABLE eventcase.events; --\""),
                    ("10,000 nested arrays", Expectation.Refused, new string('[', 10_000) + new string(']', 10_000)),
                ]);
                break;
            case SchemaKind.Integer:
                variants.AddRange(WrongTypes("\"1\"", "true", "{}", "[]", "\"NaN\"", "1.5", "1e400", "-1e400", "99999999999999999999", "2147483648", "-2147483649"));
                variants.AddRange([("negative", Expectation.MayBeTaken, "-1"), ("zero", Expectation.MayBeTaken, "0"), ("int.MaxValue", Expectation.MayBeTaken, "2147483647"), ("an exponent", Expectation.MayBeTaken, "1e2")]);
                break;
            case SchemaKind.Number:
                variants.AddRange(WrongTypes("\"1\"", "true", "{}", "[]", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "1e400", "-1e400"));
                variants.AddRange([("negative", Expectation.MayBeTaken, "-1"), ("huge", Expectation.MayBeTaken, "1e300"), ("tiny", Expectation.MayBeTaken, "1e-400"), ("minus zero", Expectation.MayBeTaken, "-0")]);
                break;
            case SchemaKind.Boolean:
                variants.AddRange(WrongTypes("\"true\"", "1", "{}", "[]", "\"yes\""));
                break;
            case SchemaKind.Enum:
                variants.AddRange(WrongTypes("1", "true", "{}", "[]"));
                variants.AddRange(
                [
                    ("an unknown value", Expectation.Refused, "\"noSuchValue\""),
                    ("empty", Expectation.Refused, "\"\""),
                    ("blank", Expectation.Refused, "\"  \""),
                    ("two values", Expectation.Refused, "\"" + string.Join(",", shape.EnumValues.Take(2)) + "\""),
                    ("a number as text", Expectation.Refused, "\"1\""),
                    ("a NUL", Expectation.Refused, "\"a\\u0000\""),
                    ("in capitals", Expectation.MayBeTaken, "\"" + shape.EnumValues[0].ToUpperInvariant() + "\""),
                ]);
                break;
            case SchemaKind.Object:
                variants.AddRange(WrongTypes("\"x\"", "1", "[]", "true"));
                break;
            case SchemaKind.Array:
                variants.AddRange(WrongTypes("\"x\"", "1", "{}", "true"));
                if (shape.Items is { Nullable: false })
                {
                    yield return Member("[null]", Expectation.Refused, [.. path, 0], "null", body, ensureArray: true);
                }

                variants.Add(("empty", Expectation.MayBeTaken, "[]"));
                break;
            case SchemaKind.Map:
                variants.AddRange(WrongTypes("\"x\"", "1", "[]", "true"));
                variants.Add(("a null value", Expectation.Refused, "{\"k\":null}"));
                variants.Add(("a key given twice", Expectation.Refused, "{\"k\":[\"a\"],\"k\":[\"b\"]}"));
                variants.Add(("a key with a NUL", Expectation.Refused, "{\"a\\u0000b\":[\"a\"]}"));
                variants.Add(("an empty key", Expectation.MayBeTaken, "{\"\":[\"a\"]}"));
                variants.Add(("a 200 kB key", Expectation.Refused, "{\"" + new string('k', 200_000) + "\":[\"a\"]}"));
                break;
        }

        foreach (var (description, expect, raw) in variants)
        {
            yield return Member(description, expect, path, raw, body);
        }

        if (shape.Kind == SchemaKind.String && path.Count == 1)
        {
            yield return new HostileRequest($"{FieldName(path)}: invalid UTF-8", Operation.Method, Url(), Expectation.Refused, FieldName(path))
            {
                Role = Role, Body = Replace(WithSentinel(body, path), QuotedSentinel, [(byte)'"', (byte)'a', 0xC3, 0x28, 0xFF, (byte)'"']),
                ContentType = "application/json", Strict = true,
            };
        }

        // Members of nested objects and of the first element of arrays of objects.
        if (shape.Kind == SchemaKind.Object)
        {
            var nested = ValueAt(body, path) as JsonObject;
            var withNested = body;
            if (nested is null)
            {
                withNested = body.DeepClone().AsObject();
                SetAt(withNested, path, Sample(shape));
            }

            foreach (var variant in MemberVariants(shape, withNested, path))
            {
                yield return variant;
            }
        }
        else if (shape is { Kind: SchemaKind.Array, Items.Kind: SchemaKind.Object } && ValueAt(body, path) is JsonArray { Count: > 0 })
        {
            foreach (var variant in MemberVariants(shape.Items, body, [.. path, 0]))
            {
                yield return variant;
            }
        }
    }

    private HostileRequest Member(string description, Expectation expect, List<object> path, string raw, JsonObject body, bool ensureArray = false)
    {
        var bytes = Replace(WithSentinel(body, path, ensureArray), QuotedSentinel, Encoding.UTF8.GetBytes(raw));
        return new HostileRequest($"{FieldName(path)}: {description}", Operation.Method, Url(), expect, FieldName(path))
        {
            Role = Role, Body = bytes, ContentType = "application/json", Strict = true,
        };
    }

    private HostileRequest Remove(string description, List<object> path, JsonObject body)
    {
        var copy = body.DeepClone().AsObject();
        if (ValueAt(copy, path[..^1]) is JsonObject parent)
        {
            parent.Remove((string)path[^1]);
        }

        return new HostileRequest($"{FieldName(path)}: {description}", Operation.Method, Url(), Expectation.Refused, FieldName(path))
        {
            Role = Role, Body = Encoding.UTF8.GetBytes(copy.ToJsonString()), ContentType = "application/json", Strict = true,
        };
    }

    private static byte[] SetMember(JsonObject body, string name, string raw) =>
        Replace(WithSentinel(body, [name]), QuotedSentinel, Encoding.UTF8.GetBytes(raw));

    private static byte[] WithSentinel(JsonObject body, List<object> path, bool ensureArray = false)
    {
        var copy = body.DeepClone().AsObject();
        if (ensureArray && ValueAt(copy, path[..^1]) is not JsonArray)
        {
            SetAt(copy, path[..^1], new JsonArray());
        }

        SetAt(copy, path, Sentinel);
        return Encoding.UTF8.GetBytes(copy.ToJsonString());
    }

    private static JsonNode? ValueAt(JsonNode? node, List<object> path)
    {
        foreach (var segment in path)
        {
            node = segment switch
            {
                string name when node is JsonObject o => o[name],
                int index when node is JsonArray a && index < a.Count => a[index],
                _ => null,
            };
        }

        return node;
    }

    private static void SetAt(JsonObject root, List<object> path, JsonNode? value)
    {
        JsonNode parent = root;
        for (var i = 0; i < path.Count - 1; i++)
        {
            var next = ValueAt(parent, [path[i]]);
            if (next is null)
            {
                next = path[i + 1] is int ? new JsonArray() : new JsonObject();
                Assign(parent, path[i], next);
            }

            parent = next;
        }

        Assign(parent, path[^1], value);
    }

    private static void Assign(JsonNode parent, object segment, JsonNode? value)
    {
        if (segment is string name)
        {
            parent.AsObject()[name] = value;
        }
        else
        {
            var array = parent.AsArray();
            var index = (int)segment;
            if (index < array.Count)
            {
                array[index] = value;
            }
            else
            {
                array.Add(value);
            }
        }
    }

    private static byte[] Replace(byte[] text, byte[] find, byte[] replacement)
    {
        var at = text.AsSpan().IndexOf(find);
        if (at < 0)
        {
            throw new InvalidOperationException("The sentinel is not in the body.");
        }

        return [.. text.AsSpan(0, at), .. replacement, .. text.AsSpan(at + find.Length)];
    }

    /// <summary>The field name the service gives a member: <c>hours[0].day</c>, <c>location.latitude</c>.</summary>
    public static string FieldName(List<object> path)
    {
        var builder = new StringBuilder();
        foreach (var segment in path)
        {
            if (segment is int index)
            {
                builder.Append('[').Append(index).Append(']');
            }
            else
            {
                if (builder.Length > 0)
                {
                    builder.Append('.');
                }

                builder.Append((string)segment);
            }
        }

        return builder.ToString();
    }

    /// <summary>A value the schema takes, for members no example gives.</summary>
    public static JsonNode? Sample(SchemaShape shape) => shape.Kind switch
    {
        SchemaKind.String when shape.Format == "date" => "2026-12-25",
        SchemaKind.String when shape.Format == "date-time" => "2026-03-03T14:00:00Z",
        SchemaKind.String when shape.Name == "LocalTime" => "08:00:00",
        SchemaKind.String => "sample",
        SchemaKind.Integer => shape.Minimum ?? 1,
        SchemaKind.Number => 1.5,
        SchemaKind.Boolean => true,
        SchemaKind.Enum => shape.EnumValues[0],
        SchemaKind.Object => new JsonObject(shape.Members().Where(m => m.Required).Select(m => KeyValuePair.Create(m.Name, Sample(m.Shape)))),
        SchemaKind.Array => new JsonArray(),
        SchemaKind.Map => new JsonObject(),
        _ => null,
    };

    private static string SampleQueryValue(SchemaShape shape) => shape.Kind switch
    {
        SchemaKind.Array when shape.Items is { Kind: SchemaKind.Enum } items => items.EnumValues[0],
        SchemaKind.Enum => shape.EnumValues[0],
        _ => Sample(shape)?.ToString() ?? "x",
    };

    private static string Printable(string value) =>
        value.Length > 40 ? value[..20] + $"…({value.Length} characters)" : string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
