using System.Text.Json;
using EventCase.Cases.Replaying;
using EventCase.Cases;
using EventCase.Cases.Catalog;
using EventCase.Cases.Agencies;
using EventCase.Cases.Handling;
using EventCase.Cases.Intake;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.ReadModels;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using EventCase.Server.Admin;
using EventCase.Server.Auth;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NodaTime;

namespace EventCase.Server.Cases;

/// <summary>The case routes: open, get, history, time travel, and (in <see cref="CaseCommandsApi"/>) one route per command.</summary>
public static class CasesApi
{
    /// <summary>Maps <c>/cases</c>.</summary>
    public static IEndpointRouteBuilder MapCasesApi(this IEndpointRouteBuilder endpoints)
    {
        var cases = endpoints.MapGroup("/cases").WithTags("Cases").ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        cases.MapPost("/", OpenAsync)
            .WithName("OpenCase").WithSummary("Opens a case. With an Idempotency-Key the case id is derived from the key, so a retry opens nothing new.")
            .Accepts<OpenCaseRequest>("application/json")
            .RequireAuthorization(Policies.Participate)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        cases.MapGet("/{id}", GetAsync)
            .WithName("GetCase").WithSummary("The case now; ETag is its version.")
            .RequireAuthorization(Policies.Read).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesRevalidation()
            .WithRouteParameter("id", CaseIdDescription);
        cases.MapGet("/by-number/{number}", GetByNumberAsync)
            .WithName("GetCaseByNumber").WithSummary("The case with this number (e.g. DEMO-2026-000001).")
            .RequireAuthorization(Policies.Read).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesRevalidation()
            .WithRouteParameter("number", "The case number, e.g. DEMO-2026-000001.");
        cases.MapGet("/{id}/history", HistoryAsync)
            .WithName("GetCaseHistory").WithSummary("Every event of the case with its metadata (citizens: without internal notes).")
            .RequireAuthorization(Policies.Read).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesRevalidation()
            .WithRouteParameter("id", CaseIdDescription);
        cases.MapGet("/{id}/as-of", AsOfAsync)
            .WithName("GetCaseAsOf").WithSummary("Time travel: the case as it was at ?version=N or at ?at=<ISO-8601 instant>, with its SLA clock as it stood then.")
            .RequireAuthorization(Policies.Read).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesRevalidation()
            .WithRouteParameter("id", CaseIdDescription)
            // Exactly one of the two is required, which OpenAPI cannot say of a parameter: each is optional on its own.
            .WithQueryParameter("version", QueryType.Integer(1, long.MaxValue / 2), "The version to fold the case to (give this or at, not both); a later one is the case now.")
            .WithQueryParameter("at", QueryType.Instant, "The instant on the case's own timeline to fold the case to (give this or version, not both); a later one is the case now.");
        CaseCommandsApi.Map(cases);
        return endpoints;
    }

    /// <summary>How the OpenAPI document describes a case route's <c>{id}</c>.</summary>
    internal const string CaseIdDescription = "The case id, as POST /cases answered it.";

    private static async Task<Results<Created<CommandResponse>, ProblemHttpResult>> OpenAsync(
        HttpContext http, EventCaseDatabase database, ReferenceData reference, IClock clock, IOptions<ServerSettings> settings, CancellationToken cancellationToken)
    {
        if (!VersionHeaders.TryReadIdempotencyKey(http.Request, out var key))
        {
            return Problems.Invalid("Idempotency-Key", VersionHeaders.IdempotencyKeyProblem(http.Request));
        }

        var (body, problem) = await JsonBody.ReadAsync<OpenCaseRequest>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = Caller.From(http.User);
        var request = body!;
        if (caller.IsCitizen)
        {
            if (request.Priority is not null)
            {
                return Problems.ForbiddenFor("Citizens cannot set a priority.");
            }

            // A citizen always opens for themselves: the reference comes from their token.
            request = request with { Citizen = (request.Citizen ?? new CitizenRequest(null, null, null, null)) with { Reference = caller.CitizenReference } };
        }

        var now = clock.GetCurrentInstant();
        var outcome = await OpenCaseAsync(http, caller, request, key, channel: "api", database, reference, settings.Value, now, cancellationToken);
        return outcome;
    }

    /// <summary>
    /// Opens a case for <paramref name="caller"/> (shared by the REST and Open311 routes): validate, look the service up
    /// in the agency's catalog, route it, draw a number and append.
    /// </summary>
    public static async Task<Results<Created<CommandResponse>, ProblemHttpResult>> OpenCaseAsync(
        HttpContext http, Caller caller, OpenCaseRequest request, string? idempotencyKey, string channel,
        EventCaseDatabase database, ReferenceData reference, ServerSettings settings, Instant now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(settings);
        var v = new Validation();
        var service = v.Value(request.Service, "service", ServiceCode.From);
        var description = v.Text(request.Description, "description", 4000);
        CitizenContact? citizen = null;
        if (request.Citizen is { } c)
        {
            var reference_ = v.Text(c.Reference, "citizen.reference", 200);
            citizen = new CitizenContact(reference_, Optional(v, c.Name, "citizen.name", 200), Optional(v, c.Email, "citizen.email", 320), Optional(v, c.Phone, "citizen.phone", 50));
        }

        CaseLocation? location = null;
        if (request.Location is { } l)
        {
            GeoPoint? point = null;
            if (l.Latitude is not null || l.Longitude is not null)
            {
                if (l.Latitude is not { } lat || !double.IsFinite(lat) || lat is < -90 or > 90)
                {
                    v.Add("location.latitude", "must be a number from -90 to 90 (with longitude).");
                }
                else if (l.Longitude is not { } lon || !double.IsFinite(lon) || lon is < -180 or > 180)
                {
                    v.Add("location.longitude", "must be a number from -180 to 180 (with latitude).");
                }
                else
                {
                    point = new GeoPoint(lat, lon);
                }
            }

            var address = Optional(v, l.Address, "location.address", 500);
            if (point is null && address is null && v.IsValid)
            {
                v.Add("location", "needs latitude and longitude, or an address.");
            }

            location = new CaseLocation(point, address);
        }

        var attributes = ReadAttributes(v, request.Attributes);

        if (!v.IsValid)
        {
            return v.Problem();
        }

        // REST and Open311 opens share the fingerprint of the request as read: the same open through either is the same request.
        var context = CaseCommandPipeline.CreateContext(http, caller, channel) with
        {
            IdempotencyKey = idempotencyKey,
            RequestFingerprint = CaseCommandPipeline.FingerprintOf(idempotencyKey, "Open", request),
        };
        var intake = new CaseIntake(reference, database.CreateHandler());
        var outcome = await intake.OpenAsync(
            context, PrefixFor(caller.Agency, settings),
            new IntakeRequest(service!, description, citizen, location, request.Channel ?? Channel.Web, attributes, request.Priority), now, cancellationToken);
        if (outcome is not IntakeResult.Handled { CaseId: var caseId, Result: var result })
        {
            var unknown = new Validation();
            unknown.Add("service", $"'{service}' is not a service of agency '{caller.Agency}'.");
            return unknown.Problem();
        }

        ServerMetrics.CommandHandled("Open", CaseCommandPipeline.Outcome(result));
        var response = CaseCommandPipeline.ToResponse(http, result, caseId, database.Store);
        return response.Result switch
        {
            Ok<CommandResponse> ok => TypedResults.Created($"/cases/{caseId.Value}", ok.Value),
            ProblemHttpResult p => p,
            _ => throw new InvalidOperationException("Unexpected open result."),
        };
    }

    /// <summary>
    /// Service attribute values as sent (code → values), each code and value checked as text; errors name the field
    /// (<c>attributes.depth</c>). Whether they fit the service definition is the case rules' to say.
    /// </summary>
    public static Dictionary<string, IReadOnlyList<string>> ReadAttributes(Validation v, Dictionary<string, string[]>? sent)
    {
        ArgumentNullException.ThrowIfNull(v);
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (code, values) in sent ?? [])
        {
            // A code that is not acceptable text is not echoed into a field name: the error is the list's.
            if (code.Length is 0 or > 64 || !Validation.IsAcceptedText(code))
            {
                v.Add("attributes", "attribute codes are 1–64 characters without control characters, Unicode noncharacters or unpaired surrogates.");
                continue;
            }

            var field = "attributes." + code;
            if (values is null || values.Length > 50 || values.Any(x => x is null || x.Length > 1000))
            {
                v.Add(field, "must be a list of at most 50 values of at most 1000 characters.");
                continue;
            }

            // Checked as sent, not trimmed: the service definition decides what a blank value means.
            if (values.All(x => v.AcceptedCharacters(x, field)))
            {
                attributes[code] = values;
            }
        }

        return attributes;
    }

    /// <summary>The case number prefix of an agency: configured, or its id's letters and digits upper-cased (2–8).</summary>
    public static string PrefixFor(AgencyId agency, ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(agency);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.CasePrefixes.TryGetValue(agency.Value, out var configured) && !string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        return CaseNumberSeries.DefaultPrefix(agency);
    }

    private static async Task<Results<Ok<CaseView>, ProblemHttpResult>> GetAsync(string id, HttpContext http, EventCaseDatabase database, CancellationToken cancellationToken) =>
        CaseAccess.TryParseId(id, out var caseId)
            ? await ViewAsync(caseId, id, http, database, cancellationToken)
            : Problems.NotFoundCase(id);

    private static async Task<Results<Ok<CaseView>, ProblemHttpResult>> GetByNumberAsync(string number, HttpContext http, EventCaseDatabase database, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        if (!CaseNumber.TryParse(number, out var parsed))
        {
            return Problems.NotFoundCase(number);
        }

        // A case the caller may not see is answered with the number asked for, exactly like a number no case has: its
        // case id would tell that the number exists (and name the case).
        var entry = await new CaseNumberLookup(database.Store).FindAsync(caller.Agency, parsed, cancellationToken);
        return entry is null ? Problems.NotFoundCase(number) : await ViewAsync(entry.CaseId, number, http, database, cancellationToken);
    }

    /// <summary>The case as the caller may see it, or a 404 that names it by <paramref name="label"/> (what the caller asked for).</summary>
    private static async Task<Results<Ok<CaseView>, ProblemHttpResult>> ViewAsync(CaseId caseId, string label, HttpContext http, EventCaseDatabase database, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        CaseView? view;
        try
        {
            var events = await CaseAccess.ReadAsync(database.Store, caller.Agency, caseId, ReadStreamOptions.All, cancellationToken);
            view = events.Count == 0 || !CaseAccess.MaySee(caller, events[0]) ? null : CaseView.Fold(events, caller.IsCitizen);
        }
        catch (Exception e) when (e is not OperationCanceledException && !DatabaseUnavailableHandler.IsDatabaseUnavailable(e))
        {
            // The case now is the hottest read and verifies nothing; only when its events no longer read or fold is the
            // chain asked whether they were altered (decision 0026), so that tampering is not an anonymous internal error.
            var verification = await new AuditVerifier(database.Store).VerifyStreamAndHeadAsync(new StreamName(caller.Agency.Value, caseId.Value), cancellationToken);
            if (verification.Finding is { } finding)
            {
                return caller.IsCitizen ? Problems.NotFoundCase(label) : Problems.Altered(caseId.Value, finding);
            }

            throw;
        }

        if (view is null)
        {
            return Problems.NotFoundCase(label);
        }

        VersionHeaders.SetETag(http.Response, view.Version);
        return TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<CaseHistory>, ProblemHttpResult>> HistoryAsync(string id, HttpContext http, EventCaseDatabase database, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        var (read, unreadable) = await ReadVerifiedAsync(database, caller, caseId, id, cancellationToken);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var events = read!.Events;
        try
        {
            var version = events[^1].StreamVersion;
            var history = new CaseHistory(id, version,
                [.. events.Where(e => !caller.IsCitizen || HistoryEntry.IsPublic(e)).Select(HistoryEntry.From)], CaseChain.Of(read));
            SetVerifiedETag(http, read);
            return TypedResults.Ok(history);
        }
        catch (JsonException) when (read.Finding is { } finding)
        {
            // Metadata edited past reading: evidence, since the chain is broken, not a bug.
            return Problems.Altered(id, finding);
        }
    }

    /// <summary>
    /// The caller's case with its hash chain verified over the events read (one read, one pass: decision 0026), or the
    /// problem to answer: not found (also for a case the caller may not see), or altered past reading. An altered case
    /// whose opening no longer reads (or whose events were all deleted, its stream row left) is altered to the agency's
    /// staff, and still not found to a citizen, whose case it cannot be shown to be.
    /// </summary>
    private static async Task<(VerifiedStream? Read, ProblemHttpResult? Problem)> ReadVerifiedAsync(
        EventCaseDatabase database, Caller caller, CaseId caseId, string id, CancellationToken cancellationToken)
    {
        VerifiedStream read;
        try
        {
            read = await new AuditVerifier(database.Store).ReadStreamAsync(new StreamName(caller.Agency.Value, caseId.Value), cancellationToken);
        }
        catch (AlteredEventUnreadableException altered)
        {
            return (null, caller.IsCitizen ? Problems.NotFoundCase(id) : Problems.Altered(id, altered.Finding));
        }

        if (read.Events.Count == 0 || !CaseAccess.MaySee(caller, read.Events[0]))
        {
            // A finding needs events or a stream row left in the agency: every event deleted with the stream row kept
            // is an alteration too, while a case deleted whole is found by nothing but a signed checkpoint.
            return (null, read.Finding is { } finding && !caller.IsCitizen
                ? Problems.Altered(id, finding)
                : Problems.NotFoundCase(id));
        }

        return (read, null);
    }

    /// <summary>
    /// The ETag of a history or a time travel: the case's current version, as everywhere, since the answer shows the
    /// current version and the chain's verdict over the whole case, and so changes with every event, not only with the
    /// version folded to. An answer whose chain is broken carries none: its events are not those any version was written
    /// with, so no version stands for them, and a client revalidating its copy (If-None-Match) must not be told it is
    /// still the case's (a 304 would hide the alteration, decision 0026).
    /// </summary>
    private static void SetVerifiedETag(HttpContext http, VerifiedStream read)
    {
        if (read.Finding is null)
        {
            VersionHeaders.SetETag(http.Response, read.Events[^1].StreamVersion);
        }
    }

    private static async Task<Results<Ok<CaseAsOf>, ProblemHttpResult>> AsOfAsync(
        string id, string? version, string? at, HttpContext http, EventCaseDatabase database, CalendarCache calendars, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        var v = new Validation();
        var toVersion = v.Long(version, "version", 1, long.MaxValue / 2);
        var toInstant = v.Instant(at, "at");
        if (v.IsValid && (toVersion is null) == (toInstant is null))
        {
            v.Add(toVersion is null ? "version" : "at", "give exactly one of ?version=N or ?at=<ISO-8601 instant>.");
        }

        if (!v.IsValid)
        {
            return v.Problem();
        }

        var (read, unreadable) = await ReadVerifiedAsync(database, caller, caseId, id, cancellationToken);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var current = read!.Events;
        try
        {
            // "At an instant" is the case's own timeline (each event's At), as in `eventcase replay --at`: for imported
            // history it differs from when the store recorded the events (decision 0003).
            var upTo = toVersion ?? CaseReplay.AtInstant(current, toInstant!.Value).Version;
            var events = current.Where(e => e.StreamVersion <= upTo).ToList();
            if (CaseView.Fold(events, caller.IsCitizen) is not { } view)
            {
                return Problems.Of(StatusCodes.Status404NotFound, "case.not-yet-opened", "The case did not exist then.",
                    $"Case '{id}' was opened after the instant asked for.");
            }

            // The SLA clock as it stood then: read at the instant asked for (or at the event of the version asked for), on
            // the calendars the agency had set by then.
            var history = events.Select(e => e.Data).OfType<CaseEvent>().SkipWhile(e => e is not CaseOpened).ToList();
            var then = toInstant ?? history[^1].At;
            var sla = SlaClock.Compute(view.Sla, calendars.HistoryFor(view.Agency).AsOf(then), SlaTimeline.FromHistory(history), then);
            SetVerifiedETag(http, read);
            return TypedResults.Ok(new CaseAsOf(view.Version, toInstant, current[^1].StreamVersion, view, sla, CaseChain.Of(read)));
        }
        catch (Exception e) when (read.Finding is { } finding && e is not OperationCanceledException)
        {
            // Data that deserialized but makes no sense to the fold (a field emptied by hand), as `eventcase replay`
            // says: without evidence of an alteration the same exception is a bug, and is left to be reported as one.
            return Problems.Altered(id, finding);
        }
    }

    private static string? Optional(Validation v, string? value, string field, int max) =>
        string.IsNullOrWhiteSpace(value) ? null : v.Text(value, field, max);
}
