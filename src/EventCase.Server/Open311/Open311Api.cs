using System.Globalization;
using System.Text;
using System.Xml;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Agencies;
using EventCase.Cases.Catalog;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Numbering;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.EventStore;
using EventCase.Server.Admin;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Server.Open311;

/// <summary>An Open311 client credential: what an <c>api_key</c> may do.</summary>
public sealed class Open311Client
{
    /// <summary>The agency whose cases the key reads and opens.</summary>
    public string Agency { get; set; } = "";

    /// <summary>The role the key acts in (agent by default).</summary>
    public string Role { get; set; } = Roles.Agent;

    /// <summary>A label for the logs and event metadata.</summary>
    public string Name { get; set; } = "";
}

/// <summary>The <c>Open311</c> configuration section.</summary>
public sealed class Open311Settings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Open311";

    /// <summary>
    /// The jurisdiction this endpoint serves (GeoReport v2's <c>jurisdiction_id</c>, typically the city's domain name):
    /// requests may leave <c>jurisdiction_id</c> out or give this one; another is a 404.
    /// </summary>
    public string Jurisdiction { get; set; } = "demo";

    /// <summary>The agency whose services and requests are shown to callers without an api_key (read-only).</summary>
    public string PublicAgency { get; set; } = DemoSeed.Agency;

    /// <summary>api_key → client credential.</summary>
    public Dictionary<string, Open311Client> Clients { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The roles an Open311 client may act in: staff roles (a citizen is no client, and reads are by key).</summary>
    internal static readonly string[] ClientRoles = [Roles.Agent, Roles.Supervisor, Roles.Admin, Roles.Auditor];

    /// <summary>
    /// What is wrong with these settings, one message per setting naming it as configured; empty when none is. The
    /// service refuses to start with any (<see cref="Open311SettingsValidation"/>): a client with an agency that is no
    /// agency id failed every one of its requests with a 500, and one with another role was refused as a wrong key.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (AgencyProblem(PublicAgency) is { } publicProblem)
        {
            problems.Add($"{Section}:{nameof(PublicAgency)} is '{PublicAgency}': {publicProblem}");
        }

        // Keys are secrets: a problem names the client by its name, or by its place in the list, never by its key.
        var index = 0;
        foreach (var (_, client) in Clients.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var which = string.IsNullOrWhiteSpace(client.Name)
                ? string.Create(CultureInfo.InvariantCulture, $"the client at position {index + 1} (no Name)")
                : $"client '{client.Name}'";
            if (AgencyProblem(client.Agency) is { } agencyProblem)
            {
                problems.Add($"{Section}:{nameof(Clients)}: {which} has Agency '{client.Agency}': {agencyProblem}");
            }

            if (!ClientRoles.Contains(client.Role, StringComparer.Ordinal))
            {
                problems.Add($"{Section}:{nameof(Clients)}: {which} has Role '{client.Role}'; it must be one of {string.Join(", ", ClientRoles)}.");
            }

            index++;
        }

        return problems;
    }

    private static string? AgencyProblem(string? agency)
    {
        try
        {
            _ = new AgencyId(agency ?? "");
            return null;
        }
        catch (ArgumentException e)
        {
            // The message without " (Parameter 'value')": the constructor's parameter, not the setting.
            return e.ParamName is { } parameter ? e.Message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal) : e.Message;
        }
    }
}

/// <summary>Refuses unusable <see cref="Open311Settings"/> when the service starts, naming each setting.</summary>
internal sealed class Open311SettingsValidation : IValidateOptions<Open311Settings>
{
    public ValidateOptionsResult Validate(string? name, Open311Settings options) =>
        options.Problems() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;
}

/// <summary>An Open311 service request as GeoReport v2 names its fields.</summary>
internal sealed record Open311Request(
    string ServiceRequestId, string Token, string Status, string? StatusNotes, string ServiceName, string ServiceCode, string? Description,
    string AgencyResponsible, string RequestedDatetime, string UpdatedDatetime, string? ExpectedDatetime, string? Address, double? Lat, double? Long);

/// <summary>
/// Open311 GeoReport v2 under <c>/open311/v2/</c>, on the same cases as the REST API: <c>services</c>, service
/// definitions, <c>requests</c> (POST and GET with <c>service_request_id</c>, <c>service_code</c>, <c>start_date</c>,
/// <c>end_date</c>, <c>status</c>), a single request and <c>tokens/{token}</c>, each as <c>.json</c> or <c>.xml</c>.
/// <c>service_request_id</c> is the case number, <c>token</c> the case id. An <c>api_key</c> maps to a configured
/// client (agency and role); without one, reads show the public agency and leave descriptions out. Dates are
/// ISO-8601 with the agency's offset; statuses are <c>open</c> and <c>closed</c>. Errors use the GeoReport error
/// list (<c>[{"code":400,"description":"…"}]</c>, <c>&lt;errors&gt;</c>), as Open311 clients expect.
/// </summary>
public static class Open311Api
{
    private static readonly OffsetDateTimePattern DatePattern = OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'sso<+HH:mm>");

    /// <summary>Maps <c>/open311/v2</c>.</summary>
    public static IEndpointRouteBuilder MapOpen311Api(this IEndpointRouteBuilder endpoints)
    {
        var open311 = endpoints.MapGroup("/open311/v2").WithTags("Open311").AllowAnonymous()
            .WithMetadata(new ProblemFormat(InvalidRequestValues));
        Doc(open311.MapGet("/services.{format}", ServicesAsync).WithName("Open311Services").WithSummary("GeoReport v2: the service list."));
        Doc(open311.MapGet("/services/{code}.{format}", ServiceDefinitionAsync).WithName("Open311ServiceDefinition").WithSummary("GeoReport v2: a service definition (attributes).")
            .WithRouteParameter("code", "The service code, as the service list gives it."));
        Doc(open311.MapPost("/requests.{format}", PostRequestAsync).WithName("Open311PostRequest").WithSummary("GeoReport v2: submit a request (form-encoded; api_key required).")
            .Accepts<Dictionary<string, string>>("application/x-www-form-urlencoded", "multipart/form-data"), StatusCodes.Status201Created,
            // Not required here: the form may carry it instead (and wins when both do).
            "The key of a configured client (agent, supervisor or admin); required, here or as a form field.");
        Doc(open311.MapGet("/requests.{format}", GetRequestsAsync).WithName("Open311GetRequests").WithSummary("GeoReport v2: requests, filtered by service_request_id, service_code, start_date, end_date, status.")
            .WithQueryParameter("service_request_id", QueryType.ListOf(), "Only these requests: case numbers or case ids, comma-separated, at most 200 (more is a 400); the other filters are then ignored.")
            .WithQueryParameter("service_code", QueryType.ListOf(), "Only requests for one of these service codes (a comma-separated list).")
            .WithQueryParameter("start_date", QueryType.Instant, "Only requests made at or after this instant, ISO-8601 (default 90 days before end_date, or before now).")
            .WithQueryParameter("end_date", QueryType.Instant, "Only requests made before this instant, ISO-8601.")
            .WithQueryParameter("status", QueryType.ListOf(["open", "closed"]), "Only requests with one of these statuses (a comma-separated list)."));
        Doc(open311.MapGet("/requests/{id}.{format}", GetRequestAsync).WithName("Open311GetRequest").WithSummary("GeoReport v2: one request.")
            .WithRouteParameter("id", "The service_request_id: the case number."));
        Doc(open311.MapGet("/tokens/{token}.{format}", TokenAsync).WithName("Open311Token").WithSummary("GeoReport v2: the request id of a token.")
            .WithRouteParameter("token", "The token a POST of the request answered: the case id."));
        return endpoints;
    }

    private sealed record Client(Caller Caller, bool IsPublic);

    /// <summary>The fields of a posted request that take one value.</summary>
    private static readonly string[] SingleFormFields =
        ["api_key", "service_code", "lat", "long", "address_string", "email", "device_id", "account_id", "first_name", "last_name", "phone", "description"];

    private const string ReadApiKey = "The key of a configured client (its agency and role); without one, the public agency is shown read-only.";

    /// <summary>The most case numbers or ids one <c>service_request_id</c> may list.</summary>
    internal const int MaxRequestIds = 200;

    /// <summary>
    /// The most requests one <c>GET requests</c> lists: GeoReport v2's "default query limit is a span of 90 days or
    /// first 1000 requests returned, whichever is smallest" (also the most streams one read takes).
    /// </summary>
    internal const int MaxListedRequests = 1000;

    private static void Doc(RouteHandlerBuilder route, int success = StatusCodes.Status200OK, string apiKey = ReadApiKey)
    {
        route.WithRouteParameter("format", "json or xml: the format of the answer, errors included.")
            .WithQueryParameter("api_key", QueryType.Text(), apiKey)
            .WithQueryParameter("jurisdiction_id", QueryType.Text(), "Optional: this endpoint serves one jurisdiction (the Open311:Jurisdiction setting); naming another is a 404.");
        route.Produces(success, null, "application/json", "text/xml");
        foreach (var status in new[] { 400, 403, 404, 413 })
        {
            route.Produces(status, null, "application/json", "text/xml");
        }
    }

    private static async Task<IResult> ServicesAsync(
        string format, [FromQuery(Name = "api_key")] string? apiKey, [FromQuery(Name = "jurisdiction_id")] string? jurisdiction, ReferenceData reference, IOptions<Open311Settings> settings, CancellationToken cancellationToken)
    {
        if (!TryFormat(format, out var xml))
        {
            return NotFound();
        }

        if (OtherJurisdiction(xml, settings.Value, Text(jurisdiction)) is { } otherJurisdiction)
        {
            return otherJurisdiction;
        }

        if (Authenticate(settings.Value, apiKey) is not { } client)
        {
            return Error(xml, 403, "api_key is not valid.");
        }

        var catalog = await reference.LoadCatalogAsync(client.Caller.Agency, cancellationToken);
        var services = catalog.Value.Offered.ToList();
        if (xml)
        {
            return Xml(w =>
            {
                w.WriteStartElement("services");
                foreach (var s in services)
                {
                    w.WriteStartElement("service");
                    Element(w, "service_code", s.Code.Value);
                    Element(w, "service_name", s.Name);
                    Element(w, "description", s.Description);
                    Element(w, "metadata", s.Attributes.Count > 0 ? "true" : "false");
                    Element(w, "type", "realtime");
                    Element(w, "keywords", string.Join(",", s.Keywords ?? []));
                    Element(w, "group", s.Group ?? "");
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            });
        }

        return TypedResults.Json(services.Select(s => new Dictionary<string, object?>
        {
            ["service_code"] = s.Code.Value,
            ["service_name"] = s.Name,
            ["description"] = s.Description,
            ["metadata"] = s.Attributes.Count > 0,
            ["type"] = "realtime",
            ["keywords"] = string.Join(",", s.Keywords ?? []),
            ["group"] = s.Group ?? "",
        }).ToList());
    }

    private static async Task<IResult> ServiceDefinitionAsync(
        string code, string format, [FromQuery(Name = "api_key")] string? apiKey, [FromQuery(Name = "jurisdiction_id")] string? jurisdiction, ReferenceData reference, IOptions<Open311Settings> settings, CancellationToken cancellationToken)
    {
        if (!TryFormat(format, out var xml))
        {
            return NotFound();
        }

        if (OtherJurisdiction(xml, settings.Value, Text(jurisdiction)) is { } otherJurisdiction)
        {
            return otherJurisdiction;
        }

        if (Authenticate(settings.Value, apiKey) is not { } client)
        {
            return Error(xml, 403, "api_key is not valid.");
        }

        var catalog = await reference.LoadCatalogAsync(client.Caller.Agency, cancellationToken);
        if (Offered(catalog.Value, code) is not { } definition)
        {
            return Error(xml, 404, "service_code was not found.");
        }

        var attributes = definition.Attributes.OrderBy(a => a.Order).ToList();
        if (xml)
        {
            return Xml(w =>
            {
                w.WriteStartElement("service_definition");
                Element(w, "service_code", definition.Code.Value);
                w.WriteStartElement("attributes");
                foreach (var a in attributes)
                {
                    w.WriteStartElement("attribute");
                    Element(w, "variable", a.Variable ? "true" : "false");
                    Element(w, "code", a.Code);
                    Element(w, "datatype", Datatype(a.Datatype));
                    Element(w, "required", a.Required ? "true" : "false");
                    Element(w, "datatype_description", a.DatatypeDescription ?? "");
                    Element(w, "order", a.Order.ToString(CultureInfo.InvariantCulture));
                    Element(w, "description", a.Description);
                    w.WriteStartElement("values");
                    foreach (var v in a.Values)
                    {
                        w.WriteStartElement("value");
                        Element(w, "key", v.Key);
                        Element(w, "name", v.Name);
                        w.WriteEndElement();
                    }

                    w.WriteEndElement();
                    w.WriteEndElement();
                }

                w.WriteEndElement();
                w.WriteEndElement();
            });
        }

        return TypedResults.Json(new Dictionary<string, object?>
        {
            ["service_code"] = definition.Code.Value,
            ["attributes"] = attributes.Select(a => new Dictionary<string, object?>
            {
                ["variable"] = a.Variable,
                ["code"] = a.Code,
                ["datatype"] = Datatype(a.Datatype),
                ["required"] = a.Required,
                ["datatype_description"] = a.DatatypeDescription,
                ["order"] = a.Order,
                ["description"] = a.Description,
                ["values"] = a.Values.Select(v => new Dictionary<string, string> { ["key"] = v.Key, ["name"] = v.Name }).ToList(),
            }).ToList(),
        });
    }

    /// <summary>The service <paramref name="code"/> names if the catalog offers it (not retired), else null (also for a code no service could have).</summary>
    private static ServiceDefinition? Offered(ServiceCatalog catalog, string code) =>
        AsServiceCode(code) is { } serviceCode && catalog.Find(serviceCode) is { IsRetired: false } entry ? entry.Definition : null;

    /// <summary><paramref name="code"/> as a service code, or null when no service could have it.</summary>
    private static ServiceCode? AsServiceCode(string code)
    {
        try
        {
            return new ServiceCode(code);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static async Task<IResult> PostRequestAsync(
        string format, [FromQuery(Name = "api_key")] string? apiKey, [FromQuery(Name = "jurisdiction_id")] string? jurisdiction, HttpContext http, EventCaseDatabase database, ReferenceData reference, IClock clock,
        IOptions<Open311Settings> settings, IOptions<ServerSettings> serverSettings, CancellationToken cancellationToken)
    {
        if (!TryFormat(format, out var xml))
        {
            return NotFound();
        }

        if (OtherJurisdiction(xml, settings.Value, Text(jurisdiction)) is { } otherJurisdiction)
        {
            return otherJurisdiction;
        }

        if (!http.Request.HasFormContentType)
        {
            return Error(xml, 400, "Send the request as application/x-www-form-urlencoded (or multipart/form-data).");
        }

        if (RequestContentCoding.Unread(http.Request) is { } coding)
        {
            return Error(xml, 415, RequestContentCoding.Refuse(http.Response, coding));
        }

        if (RequestCharset.Unread(http.Request.ContentType) is { } charset)
        {
            return Error(xml, 415, RequestCharset.Refusal(charset));
        }

        IFormCollection form;
        byte[] body = [];
        try
        {
            if (http.Request.ContentLength > serverSettings.Value.MaxRequestBodyBytes)
            {
                return Error(xml, 413, "The request body is too large.");
            }

            // A chunked body has no length to check first: it is read up to the limit, then parsed from memory.
            if (await JsonBody.ReadUpToAsync(http.Request, serverSettings.Value.MaxRequestBodyBytes, cancellationToken) is not { } read)
            {
                return Error(xml, 413, "The request body is too large.");
            }

            body = read;
            if (IsMultipart(http.Request.ContentType))
            {
                if (await PartNotUtf8Async(body, http.Request.ContentType, cancellationToken) is { } partNotUtf8)
                {
                    // The form reader decodes such a part as UTF-8 with U+FFFD in place of each byte it cannot read.
                    return Error(xml, 400, $"{partNotUtf8}: is not UTF-8 text (send it as UTF-8, or name its charset in the part's Content-Type).");
                }
            }
            else if (FieldNotUtf8(body) is { } notUtf8)
            {
                // Percent-escapes stand for UTF-8 bytes: others were kept in the text as sent ("caf%E9"), or made the
                // form reader fail.
                return Error(xml, 400, $"{notUtf8}: is not UTF-8 text (percent-encode the UTF-8 bytes of each character, %C3%A9 for é).");
            }

            http.Request.Body = new MemoryStream(body, writable: false);
            form = await http.Request.ReadFormAsync(cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(xml, 413, "The request body is too large.");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            // The form reader refuses a NUL in a name or value (a URL-encoded %00) for the form as a whole; the field
            // holding it is found again in the body so that the answer names it, as for any other character refused.
            return Error(xml, 400, FieldHoldingNul(body) is { } field
                ? $"{field}: {Validation.UnacceptedCharacters}"
                : "The form could not be read.");
        }

        // As with query parameters: a field given twice would be read as its values joined with a comma. Only attribute[code]
        // may repeat (the values of a multivaluelist attribute).
        if (SingleFormFields.FirstOrDefault(field => form[field].Count > 1) is { } repeated)
        {
            return Error(xml, 400, $"{repeated}: {RequestValues.GivenMoreThanOnce}");
        }

        // Each field by its GeoReport name, including those this request then does without (a device_id beside an
        // account_id) and before they are mapped onto the case's citizen, whose errors would name citizen members
        // ("reference", "name") the client never sent.
        foreach (var (key, values) in form)
        {
            if (!Validation.IsAcceptedText(key) || values.Any(v => v is not null && !Validation.IsAcceptedText(v)))
            {
                return Error(xml, 400, $"{(Validation.IsAcceptedText(key) ? key : "a field name")}: {Validation.UnacceptedCharacters}");
            }
        }

        if (OtherJurisdiction(xml, settings.Value, Text(form["jurisdiction_id"])) is { } otherFormJurisdiction)
        {
            return otherFormJurisdiction;
        }

        // GeoReport v2: an optional argument passed empty is one not passed at all (forms built from every field send
        // the unused ones empty), here and for each field below.
        if (Authenticate(settings.Value, Text(form["api_key"]) ?? apiKey) is not { IsPublic: false } client || client.Caller.Role is Roles.Auditor)
        {
            return Error(xml, 403, "A valid api_key is required to submit requests.");
        }

        // GeoReport v2: "404 - service_code ... was not found", as for its service definition. A code no service could
        // have (a space, a slash) is the handler's 400 naming what is wrong with it.
        if (Text(form["service_code"]) is { } serviceCode && AsServiceCode(serviceCode) is not null
            && Offered((await reference.LoadCatalogAsync(client.Caller.Agency, cancellationToken)).Value, serviceCode) is null)
        {
            return Error(xml, 404, $"service_code '{serviceCode}' was not found: the service list names the services taken.");
        }

        var attributes = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, values) in form)
        {
            if (key.StartsWith("attribute[", StringComparison.Ordinal) && key.EndsWith(']'))
            {
                // The spec writes the values of a multivaluelist as attribute[code][]=a&attribute[code][]=b (the PHP
                // convention); attribute[code]=a&attribute[code]=b means the same. Both name the attribute code.
                var code = key.EndsWith("][]", StringComparison.Ordinal) ? key["attribute[".Length..^3] : key["attribute[".Length..^1];
                string[] given = [.. values.Where(v => v is not null).Select(v => v!)];
                attributes[code] = attributes.TryGetValue(code, out var earlier) ? [.. earlier, .. given] : given;
            }
        }

        var lat = Number(form["lat"]);
        var lon = Number(form["long"]);
        if ((Text(form["lat"]) is not null && lat is null) || (Text(form["long"]) is not null && lon is null))
        {
            return Error(xml, 400, "lat and long must be decimal degrees.");
        }

        var address = Text(form["address_string"]);
        if (lat is null && lon is null && address is null)
        {
            return Error(xml, 400, "A location is required: lat and long, or address_string.");
        }

        // The citizen is known by their account, else their email, else their device; the answer's account_id is only
        // the account_id posted ("the unique ID for the user account"), never an email or device id standing in for it.
        var accountId = Text(form["account_id"]);
        var reference_ = accountId ?? Text(form["email"]) ?? Text(form["device_id"]);
        var name = string.Join(" ", new[] { Text(form["first_name"]), Text(form["last_name"]) }.Where(n => n is not null));
        var request = new OpenCaseRequest(
            Text(form["service_code"]),
            Text(form["description"]) ?? "(no description)",
            reference_ is null ? null : new CitizenRequest(reference_, name.Length == 0 ? null : name, Text(form["email"]), Text(form["phone"])),
            new LocationRequest(lat, lon, address),
            Channel.Api,
            attributes,
            null);
        if (!VersionHeaders.TryReadIdempotencyKey(http.Request, out var idempotencyKey))
        {
            // As on the REST routes: a key the client meant to send but that is unusable must not be dropped silently.
            return Error(xml, 400, "Idempotency-Key " + VersionHeaders.IdempotencyKeyProblem(http.Request));
        }

        var outcome = await CasesApi.OpenCaseAsync(http, client.Caller, request, idempotencyKey, "open311", database, reference, serverSettings.Value, clock.GetCurrentInstant(), cancellationToken);
        if (outcome.Result is ProblemHttpResult problem)
        {
            // The citizen's members are made of form fields: named by those, which the client sent.
            var referenceField = accountId is not null ? "account_id" : Text(form["email"]) is not null ? "email" : "device_id";
            return Error(xml, problem.StatusCode is 422 or 409 ? 400 : problem.StatusCode, Describe(problem, field => field switch
            {
                "citizen.reference" => referenceField,
                "citizen.name" => "first_name and last_name",
                _ => Open311Field(field),
            }));
        }

        var created = ((Created<CommandResponse>)outcome.Result).Value!;
        if (xml)
        {
            return Xml(w =>
            {
                w.WriteStartElement("service_requests");
                w.WriteStartElement("request");
                Element(w, "service_request_id", created.Number ?? "");
                Element(w, "token", created.CaseId);
                Element(w, "service_notice", "");
                Element(w, "account_id", accountId ?? "");
                w.WriteEndElement();
                w.WriteEndElement();
            }, StatusCodes.Status201Created);
        }

        return TypedResults.Json(
            new[] { new Dictionary<string, object?> { ["service_request_id"] = created.Number, ["token"] = created.CaseId, ["service_notice"] = "", ["account_id"] = accountId } },
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetRequestsAsync(
        string format, [FromQuery(Name = "api_key")] string? apiKey, [FromQuery(Name = "jurisdiction_id")] string? jurisdiction, [FromQuery(Name = "service_request_id"), CommaSeparatedList] string? ids,
        [FromQuery(Name = "service_code"), CommaSeparatedList] string? serviceCode, [FromQuery(Name = "start_date")] string? startDate, [FromQuery(Name = "end_date")] string? endDate,
        [FromQuery(Name = "status"), CommaSeparatedList] string? status,
        EventCaseDatabase database, ReferenceData reference, IOptions<Open311Settings> settings, IClock clock, CancellationToken cancellationToken)
    {
        if (!TryFormat(format, out var xml))
        {
            return NotFound();
        }

        if (OtherJurisdiction(xml, settings.Value, Text(jurisdiction)) is { } otherJurisdiction)
        {
            return otherJurisdiction;
        }

        if (Authenticate(settings.Value, apiKey) is not { } client)
        {
            return Error(xml, 403, "api_key is not valid.");
        }

        var agency = client.Caller.Agency;
        if (!string.IsNullOrWhiteSpace(ids))
        {
            var wantedIds = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            // Compared with stored ids and numbers in SQL, which cannot take a NUL; a control character names no request.
            if (wantedIds.Any(id => !Validation.IsAcceptedText(id) || id.Any(char.IsControl)))
            {
                return Error(xml, 400, $"service_request_id: {Validation.UnacceptedCharacters}");
            }

            if (wantedIds.Length > MaxRequestIds)
            {
                // Refused, not cut to the first ones: an answer without the rest would read as "those do not exist".
                return Error(xml, 400, string.Create(CultureInfo.InvariantCulture,
                    $"service_request_id: at most {MaxRequestIds} ids at once, and {wantedIds.Length} were given; ask for the rest in another request."));
            }

            var byId = await ReadingAsync(database, reference, agency, client.IsPublic, cancellationToken);
            var found = new List<(CaseId Id, CaseSummaryRow? Listed)>();
            foreach (var id in wantedIds)
            {
                if (await ResolveAsync(byId, id, cancellationToken) is { } caseId)
                {
                    found.Add((caseId, null));
                }
            }

            return Requests(xml, await RenderAllAsync(byId, found, cancellationToken));
        }

        var v = new Validation();
        var start = v.Instant(startDate, "start_date");
        var end = v.Instant(endDate, "end_date");
        IReadOnlyList<CaseStatus>? statuses = null;
        if (!string.IsNullOrWhiteSpace(status))
        {
            var wanted = status.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (wanted.Any(s => s is not ("open" or "closed")))
            {
                return Error(xml, 400, "status must be open, closed or both.");
            }

            statuses = [.. CaseStatuses.All.Where(s => s != CaseStatus.NotOpened && wanted.Contains(Open311Status(s)))];
        }

        // GeoReport v2: service_code "can be declared multiple times, comma delimited" (a repeat means the same list).
        var serviceCodes = serviceCode?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        foreach (var code in serviceCodes)
        {
            v.Value(code, "service_code", ServiceCode.From);
        }

        if (!v.IsValid)
        {
            // Each bad field by its GeoReport name with what is wrong with it.
            return Error(xml, 400, Describe(v.Problem()));
        }

        // The spec's default window: the last 90 days.
        start ??= (end ?? clock.GetCurrentInstant()) - Duration.FromDays(90);
        var page = await new CaseSummaryQueries(database.Store).ListAsync(
            agency.Value, new CaseSummaryFilter(statuses, serviceCodes.Length > 0 ? serviceCodes : null, OpenedFrom: start, OpenedBefore: end), MaxListedRequests, null, cancellationToken);
        // The catalog and the time zone are read once for the page, and each case's expected time comes from its row.
        var reading = await ReadingAsync(database, reference, agency, client.IsPublic, cancellationToken);
        var listed = new List<(CaseId Id, CaseSummaryRow? Listed)>();
        foreach (var row in page.Items)
        {
            if (CaseAccess.TryParseId(row.CaseId, out var caseId))
            {
                listed.Add((caseId, row));
            }
        }

        return Requests(xml, await RenderAllAsync(reading, listed, cancellationToken));
    }

    private static async Task<IResult> GetRequestAsync(
        string id, string format, [FromQuery(Name = "api_key")] string? apiKey, [FromQuery(Name = "jurisdiction_id")] string? jurisdiction, EventCaseDatabase database, ReferenceData reference, IOptions<Open311Settings> settings,
        CancellationToken cancellationToken)
    {
        if (!TryFormat(format, out var xml))
        {
            return NotFound();
        }

        if (OtherJurisdiction(xml, settings.Value, Text(jurisdiction)) is { } otherJurisdiction)
        {
            return otherJurisdiction;
        }

        if (Authenticate(settings.Value, apiKey) is not { } client)
        {
            return Error(xml, 403, "api_key is not valid.");
        }

        var reading = await ReadingAsync(database, reference, client.Caller.Agency, client.IsPublic, cancellationToken);
        return await ResolveAsync(reading, id, cancellationToken) is { } caseId && await RenderAllAsync(reading, [(caseId, null)], cancellationToken) is [_] found
            ? Requests(xml, found)
            : Error(xml, 404, "service_request_id was not found.");
    }

    private static async Task<IResult> TokenAsync(
        string token, string format, [FromQuery(Name = "api_key")] string? apiKey, [FromQuery(Name = "jurisdiction_id")] string? jurisdiction, EventCaseDatabase database, IOptions<Open311Settings> settings, CancellationToken cancellationToken)
    {
        if (!TryFormat(format, out var xml))
        {
            return NotFound();
        }

        if (OtherJurisdiction(xml, settings.Value, Text(jurisdiction)) is { } otherJurisdiction)
        {
            return otherJurisdiction;
        }

        if (Authenticate(settings.Value, apiKey) is not { } client)
        {
            return Error(xml, 403, "api_key is not valid.");
        }

        if (!CaseAccess.TryParseId(token, out var caseId)
            || await CaseAccess.ReadFirstAsync(database.Store, client.Caller.Agency, caseId, cancellationToken) is not { Data: EventCase.Cases.Opening.CaseOpened opened })
        {
            return Error(xml, 404, "token was not found.");
        }

        if (xml)
        {
            return Xml(w =>
            {
                w.WriteStartElement("service_requests");
                w.WriteStartElement("request");
                Element(w, "service_request_id", opened.Number.Value);
                Element(w, "token", token);
                w.WriteEndElement();
                w.WriteEndElement();
            });
        }

        return TypedResults.Json(new[] { new Dictionary<string, string> { ["service_request_id"] = opened.Number.Value, ["token"] = token } });
    }

    /// <summary>What rendering requests of one agency for one caller needs, read once per HTTP request.</summary>
    private sealed record Reading(EventCaseDatabase Database, AgencyId Agency, ServiceCatalog Catalog, DateTimeZone Zone, bool IsPublic);

    private static async Task<Reading> ReadingAsync(EventCaseDatabase database, ReferenceData reference, AgencyId agency, bool isPublic, CancellationToken cancellationToken) =>
        new(database, agency, (await reference.LoadCatalogAsync(agency, cancellationToken)).Value, reference.CalendarFor(agency.Value).Zone, isPublic);

    /// <summary>The case a case number or case id names (whether the agency has it is for the read to tell).</summary>
    private static async Task<CaseId?> ResolveAsync(Reading reading, string id, CancellationToken cancellationToken)
    {
        if (CaseNumber.TryParse(id, out var number))
        {
            return (await new CaseNumberLookup(reading.Database.Store).FindAsync(reading.Agency, number, cancellationToken))?.CaseId;
        }

        return CaseAccess.TryParseId(id, out var parsed) ? parsed : null;
    }

    /// <summary>
    /// The requests of <paramref name="cases"/>, in their order, their histories read in one statement (not one per
    /// case); a case the agency does not have is left out. Each case's listed summary row, if any, gives its expected time.
    /// </summary>
    private static async Task<List<Open311Request>> RenderAllAsync(Reading reading, IReadOnlyList<(CaseId Id, CaseSummaryRow? Listed)> cases, CancellationToken cancellationToken)
    {
        var histories = await reading.Database.Store.ReadStreamsAsync([.. cases.Select(c => new StreamName(reading.Agency.Value, c.Id.Value))], cancellationToken);
        var requests = new List<Open311Request>(cases.Count);
        foreach (var (caseId, listed) in cases)
        {
            if (await RenderAsync(reading, histories, caseId, listed, cancellationToken) is { } request)
            {
                requests.Add(request);
            }
        }

        return requests;
    }

    /// <summary>
    /// The request of a case, from its history in <paramref name="histories"/> (none: the agency has no such case);
    /// <paramref name="listed"/> is its case summary row when the caller listed it already (its SLA due time is the
    /// expected time), else it is read for an active case.
    /// </summary>
    private static async Task<Open311Request?> RenderAsync(
        Reading reading, IReadOnlyDictionary<StreamName, IReadOnlyList<RecordedEvent>> histories, CaseId caseId, CaseSummaryRow? listed, CancellationToken cancellationToken)
    {
        var (database, agency, catalog, zone, isPublic) = reading;
        if (!histories.TryGetValue(new StreamName(agency.Value, caseId.Value), out var events) || CaseView.Fold(events, publicOnly: true) is not { } view)
        {
            return null;
        }

        // expected_datetime: when the SLA runs out, from the case summary (inline, so current with the stream).
        var summary = !view.Status.IsActive() ? null
            : listed ?? await new CaseSummaryQueries(database.Store).GetAsync(agency.Value, view.Id, cancellationToken);
        var service = catalog.Find(new ServiceCode(view.Service))?.Definition;
        // status_notes is the agency's word on the request: its public resolution summary, else its latest public note.
        // Not a note the citizen wrote (theirs are public too, so that staff see them): that is the citizen's own text,
        // left out for callers without an api_key like the description and the address, and no status of the agency's.
        var statusNote = events.LastOrDefault(e => e.Data is NoteAdded { Visibility: NoteVisibility.Public } && e.Metadata.ActorRole != Roles.Citizen)?.Data as NoteAdded;
        // A transferred request is closed here: its notes say where it went, with the number to quote there.
        var transferNote = view.Status != CaseStatus.TransferredOut ? null
            : view.TransferredToCase is { } to ? $"Transferred to {to.Agency} as request {to.Number}." : $"Transferred to {view.TransferredTo}.";
        // So is a request merged into another: its notes name the request that carries it on, the one to follow.
        var duplicateNote = view.Status != CaseStatus.Duplicate ? null
            : events.LastOrDefault(e => e.Data is CaseMarkedDuplicate)?.Data is CaseMarkedDuplicate { OriginalNumber: { } original }
                ? $"Duplicate of request {original.Value}, which carries it on."
                : "Duplicate of another request, which carries it on.";
        string Date(Instant instant) => DatePattern.Format(instant.InZone(zone).ToOffsetDateTime());
        return new Open311Request(
            view.Number,
            view.Id,
            Open311Status(view.Status),
            view.Resolution?.PublicSummary ?? transferNote ?? duplicateNote ?? statusNote?.Text,
            service?.Name ?? view.Service,
            view.Service,
            isPublic ? null : view.Description,
            view.Agency,
            Date(view.OpenedAt),
            // GeoReport v2: "For requests with status=closed, this will be the date the request was closed", not that of
            // a note, the citizen's feedback or the final close that came after.
            Date(view.Status.IsActive() ? view.LastChangedAt : ClosedAt(events) ?? view.LastChangedAt),
            summary?.SlaDue is { } due ? Date(due) : null,
            isPublic ? null : view.Location?.Address,
            view.Location?.Point?.Latitude,
            view.Location?.Point?.Longitude);
    }

    /// <summary>When the case last went from a status shown <c>open</c> to one shown <c>closed</c> (null if it never did).</summary>
    private static Instant? ClosedAt(IReadOnlyList<RecordedEvent> events)
    {
        var state = CaseState.Initial;
        Instant? closedAt = null;
        foreach (var recorded in events)
        {
            if (recorded.Data is not CaseEvent @event)
            {
                continue;
            }

            var wasOpen = state is OpenedCase { Status: var before } && before.IsActive();
            state = CaseDecider.Evolve(state, @event);
            if (wasOpen && state is OpenedCase { Status: var after } && !after.IsActive())
            {
                closedAt = @event.At;
            }
        }

        return closedAt;
    }

    private static IResult Requests(bool xml, IReadOnlyList<Open311Request> requests)
    {
        if (xml)
        {
            return Xml(w =>
            {
                w.WriteStartElement("service_requests");
                foreach (var r in requests)
                {
                    w.WriteStartElement("request");
                    Element(w, "service_request_id", r.ServiceRequestId);
                    Element(w, "status", r.Status);
                    Element(w, "status_notes", r.StatusNotes ?? "");
                    Element(w, "service_name", r.ServiceName);
                    Element(w, "service_code", r.ServiceCode);
                    Element(w, "description", r.Description ?? "");
                    Element(w, "agency_responsible", r.AgencyResponsible);
                    Element(w, "service_notice", "");
                    Element(w, "requested_datetime", r.RequestedDatetime);
                    Element(w, "updated_datetime", r.UpdatedDatetime);
                    Element(w, "expected_datetime", r.ExpectedDatetime ?? "");
                    Element(w, "address", r.Address ?? "");
                    Element(w, "address_id", "");
                    Element(w, "zipcode", "");
                    Element(w, "lat", r.Lat?.ToString(CultureInfo.InvariantCulture) ?? "");
                    Element(w, "long", r.Long?.ToString(CultureInfo.InvariantCulture) ?? "");
                    Element(w, "media_url", "");
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            });
        }

        return TypedResults.Json(requests.Select(r => new Dictionary<string, object?>
        {
            ["service_request_id"] = r.ServiceRequestId,
            ["status"] = r.Status,
            ["status_notes"] = r.StatusNotes,
            ["service_name"] = r.ServiceName,
            ["service_code"] = r.ServiceCode,
            ["description"] = r.Description,
            ["agency_responsible"] = r.AgencyResponsible,
            ["service_notice"] = "",
            ["requested_datetime"] = r.RequestedDatetime,
            ["updated_datetime"] = r.UpdatedDatetime,
            ["expected_datetime"] = r.ExpectedDatetime,
            ["address"] = r.Address,
            ["address_id"] = null,
            ["zipcode"] = null,
            ["lat"] = r.Lat,
            ["long"] = r.Long,
            ["media_url"] = null,
        }).ToList());
    }

    /// <summary>open while the case is worked, closed once resolved or ended.</summary>
    internal static string Open311Status(CaseStatus status) => status.IsActive() ? "open" : "closed";

    private static Client? Authenticate(Open311Settings settings, string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return new Client(new Caller("open311:public", "public", new AgencyId(settings.PublicAgency), null), IsPublic: true);
        }

        if (!settings.Clients.TryGetValue(key, out var configured) || string.IsNullOrWhiteSpace(configured.Agency)
            || !Open311Settings.ClientRoles.Contains(configured.Role, StringComparer.Ordinal))
        {
            return null;
        }

        var name = string.IsNullOrWhiteSpace(configured.Name) ? "client" : configured.Name;
        return new Client(new Caller("open311:" + name, configured.Role, new AgencyId(configured.Agency), null), IsPublic: false);
    }

    private static bool TryFormat(string format, out bool xml)
    {
        xml = format == "xml";
        return format is "json" or "xml";
    }

    private static string Datatype(AttributeDatatype datatype) => datatype switch
    {
        AttributeDatatype.String => "string",
        AttributeDatatype.Number => "number",
        AttributeDatatype.Datetime => "datetime",
        AttributeDatatype.Text => "text",
        AttributeDatatype.SingleValueList => "singlevaluelist",
        _ => "multivaluelist",
    };

    /// <summary>
    /// The answer to a request whose route values or query parameters <see cref="RequestValues"/> refused: a GeoReport
    /// 400 naming them, in the format the route asked for (JSON when that is not one either).
    /// </summary>
    private static IResult InvalidRequestValues(HttpContext http, ProblemHttpResult problem)
    {
        _ = TryFormat(http.Request.RouteValues["format"] as string ?? "", out var xml);
        return Error(xml, StatusCodes.Status400BadRequest, Describe(problem));
    }

    /// <summary>A problem as a GeoReport error description: each field by its Open311 name with its messages, else its detail.</summary>
    private static string Describe(ProblemHttpResult problem, Func<string, string>? field = null) =>
        problem.ProblemDetails.Extensions.TryGetValue("errors", out var errors) && errors is IDictionary<string, string[]> fields
            ? string.Join("; ", fields.Select(f => $"{(field ?? Open311Field)(f.Key)}: {string.Join(" ", f.Value)}"))
            : problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "The request was refused.";

    private static string Open311Field(string field) => field switch
    {
        "id" => "service_request_id",
        "code" or "service" => "service_code",
        "location.latitude" => "lat",
        "location.longitude" => "long",
        "location.address" => "address_string",
        _ when field.StartsWith("attributes.", StringComparison.Ordinal) => $"attribute[{field["attributes.".Length..]}]",
        _ => field.Replace("citizen.", "", StringComparison.Ordinal),
    };

    /// <summary>
    /// The first field of a <c>multipart/form-data</c> body whose part names no charset it is decoded with and is not
    /// UTF-8, or null (also for a body the form reader then refuses itself). A part that names a known charset is read
    /// in it, correctly.
    /// </summary>
    private static async Task<string?> PartNotUtf8Async(byte[] body, string? contentType, CancellationToken cancellationToken)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.Boundary.HasValue
            || Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(mediaType.Boundary).ToString() is not { Length: > 0 } boundary)
        {
            return null;
        }

        try
        {
            var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, new MemoryStream(body, writable: false));
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!Microsoft.Net.Http.Headers.ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || disposition.FileName.HasValue || disposition.FileNameStar.HasValue
                    || (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(section.ContentType, out var partType) && partType.Encoding is not null))
                {
                    continue;
                }

                using var value = new MemoryStream();
                await section.Body.CopyToAsync(value, cancellationToken);
                if (!System.Text.Unicode.Utf8.IsValid(value.GetBuffer().AsSpan(0, (int)value.Length)))
                {
                    var name = disposition.Name.HasValue ? Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(disposition.Name).ToString() : "";
                    return Validation.IsAcceptedText(name) && name.Length is > 0 and <= 100 ? name : "a field";
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return null;
        }

        return null;
    }

    private static bool IsMultipart(string? contentType) =>
        contentType?.TrimStart().StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// The first field of a URL-encoded form whose name or value, percent-decoded, is not UTF-8 ("a field name" for a
    /// name), or null.
    /// </summary>
    private static string? FieldNotUtf8(byte[] body)
    {
        // Latin-1 keeps each byte as one character, so the escapes are decoded to the bytes they stand for.
        foreach (var pair in Encoding.Latin1.GetString(body).Split('&'))
        {
            var (name, value) = pair.IndexOf('=', StringComparison.Ordinal) is var at and >= 0 ? (pair[..at], pair[(at + 1)..]) : (pair, "");
            var nameBytes = System.Net.WebUtility.UrlDecodeToBytes(Encoding.Latin1.GetBytes(name), 0, name.Length);
            if (!System.Text.Unicode.Utf8.IsValid(nameBytes))
            {
                return "a field name";
            }

            if (!System.Text.Unicode.Utf8.IsValid(System.Net.WebUtility.UrlDecodeToBytes(Encoding.Latin1.GetBytes(value), 0, value.Length)))
            {
                var decodedName = Encoding.UTF8.GetString(nameBytes);
                return Validation.IsAcceptedText(decodedName) && decodedName.Length <= 100 ? decodedName : "a field";
            }
        }

        return null;
    }

    /// <summary>The name of the first field of a URL-encoded form whose name or value holds a NUL, or null.</summary>
    private static string? FieldHoldingNul(byte[] body)
    {
        foreach (var pair in Encoding.UTF8.GetString(body).Split('&'))
        {
            var (name, value) = pair.IndexOf('=', StringComparison.Ordinal) is var at and >= 0 ? (pair[..at], pair[(at + 1)..]) : (pair, "");
            var decodedName = Uri.UnescapeDataString(name.Replace('+', ' '));
            if (decodedName.Contains('\0', StringComparison.Ordinal))
            {
                return "a field name";
            }

            if (Uri.UnescapeDataString(value.Replace('+', ' ')).Contains('\0', StringComparison.Ordinal))
            {
                return Validation.IsAcceptedText(decodedName) && decodedName.Length <= 100 ? decodedName : "a field";
            }
        }

        return null;
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) =>
        string.IsNullOrWhiteSpace(value.ToString()) ? null : value.ToString();

    private static double? Number(Microsoft.Extensions.Primitives.StringValues value) =>
        double.TryParse(value.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) ? number : null;

    private static IResult NotFound() => Error(false, 404, "Use .json or .xml.");

    /// <summary>
    /// GeoReport v2's "404 - jurisdiction_id not found" when <paramref name="given"/> names a jurisdiction other than the
    /// one this endpoint serves; null when it names that one or none (the spec requires it only of endpoints that serve
    /// several). Jurisdiction ids are domain names, so letter case does not matter.
    /// </summary>
    private static IResult? OtherJurisdiction(bool xml, Open311Settings settings, string? given) =>
        given is null || string.Equals(given, settings.Jurisdiction, StringComparison.OrdinalIgnoreCase)
            ? null
            : Error(xml, 404, $"jurisdiction_id was not found: this endpoint serves '{settings.Jurisdiction}' only.");

    /// <summary>True for a request under <c>/open311</c>, whose errors are GeoReport error lists (<see cref="Open311ErrorWriter"/>).</summary>
    internal static bool Owns(HttpRequest request) => request.Path.StartsWithSegments("/open311", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes a GeoReport error list, as XML when the path ends in <c>.xml</c> (as the routes read the format), else as JSON.</summary>
    internal static Task WriteErrorAsync(HttpContext http, int status, string description) =>
        Error(http.Request.Path.Value?.EndsWith(".xml", StringComparison.Ordinal) == true, status, description).ExecuteAsync(http);

    private static IResult Error(bool xml, int status, string description)
    {
        if (xml)
        {
            return Xml(w =>
            {
                w.WriteStartElement("errors");
                w.WriteStartElement("error");
                Element(w, "code", status.ToString(CultureInfo.InvariantCulture));
                Element(w, "description", description);
                w.WriteEndElement();
                w.WriteEndElement();
            }, status);
        }

        return TypedResults.Json(new[] { new Dictionary<string, object> { ["code"] = status, ["description"] = description } }, statusCode: status);
    }

    private static void Element(XmlWriter writer, string name, string value) => writer.WriteElementString(name, XmlText(value));

    /// <summary>
    /// <paramref name="value"/> with each character an XML 1.0 document cannot hold (C0 controls but tab, line feed and
    /// carriage return; U+FFFE, U+FFFF; unpaired surrogates) replaced by U+FFFD. The API refuses such text, but stored
    /// data need not have passed through it (imported legacy cases, records from before the check), and XML has no way
    /// to carry these characters: not even as references (<c>&amp;#xFFFE;</c> is not well-formed either).
    /// </summary>
    internal static string XmlText(string value)
    {
        StringBuilder? replaced = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (XmlConvert.IsXmlChar(c))
            {
                replaced?.Append(c);
            }
            else if (i + 1 < value.Length && XmlConvert.IsXmlSurrogatePair(value[i + 1], c))
            {
                replaced?.Append(c).Append(value[i + 1]);
                i++;
            }
            else
            {
                replaced ??= new StringBuilder(value.Length).Append(value, 0, i);
                replaced.Append('\uFFFD');
            }
        }

        return replaced?.ToString() ?? value;
    }

    private static ContentHttpResult Xml(Action<XmlWriter> write, int status = StatusCodes.Status200OK)
    {
        var builder = new StringBuilder();
        // Every value is written through Element, which makes it XML text; the writer's own check stays on so that a
        // value written another way fails loudly rather than serving a document no XML parser reads.
        using (var writer = XmlWriter.Create(builder, new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = false, CheckCharacters = true }))
        {
            writer.WriteStartDocument();
            write(writer);
            writer.WriteEndDocument();
        }

        // StringBuilder output declares utf-16; the body is sent as UTF-8.
        var text = builder.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
        return TypedResults.Text(text, "text/xml", Encoding.UTF8, status);
    }
}
