using EventCase.Cases;
using EventCase.Cases.Agencies;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;

namespace EventCase.Server.Admin;

/// <summary>
/// Admin routes of the caller's agency: the service catalog, the routing rules and the business calendar (reads are
/// open to staff and auditors, writes to admins), and the read models (<see cref="ReadModelsAdmin"/>, admins only).
/// Every write to the catalog, the routing or the calendar honours If-Match (the stream version, 412 otherwise) and
/// Idempotency-Key (a retry appends nothing and answers with the current state).
/// </summary>
public static class AdminApi
{
    /// <summary>Maps <c>/admin</c>.</summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin").WithTags("Admin")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/services", GetCatalogAsync).WithName("GetServiceCatalog").WithSummary("The agency's service catalog.")
            .RequireAuthorization(Policies.StaffOrAuditor).ProducesProblem(StatusCodes.Status400BadRequest).ProducesRevalidation();
        Write(admin.MapPost("/services", DefineServiceAsync).WithName("DefineService").WithSummary("Adds a service to the catalog.").Accepts<NewServiceRequest>("application/json"));
        Write(admin.MapPut("/services/{code}", UpdateServiceAsync).WithName("UpdateService").WithSummary("Changes a service's definition.").Accepts<ServiceRequest>("application/json")
            .WithRouteParameter("code", ServiceCodeDescription));
        Write(admin.MapPost("/services/{code}/retire", RetireServiceAsync).WithName("RetireService").WithSummary("Stops offering a service.").Accepts<RetireServiceRequest>("application/json")
            .WithRouteParameter("code", ServiceCodeDescription));
        Write(admin.MapPost("/services/{code}/reinstate", ReinstateServiceAsync).WithName("ReinstateService").WithSummary("Offers a retired service again.")
            .WithRouteParameter("code", ServiceCodeDescription));
        admin.MapGet("/routing", GetRoutingAsync).WithName("GetRoutingTable").WithSummary("The agency's routing rules and default team.")
            .RequireAuthorization(Policies.StaffOrAuditor).ProducesProblem(StatusCodes.Status400BadRequest).ProducesRevalidation();
        Write(admin.MapPost("/routing/rules", AddRuleAsync).WithName("AddRoutingRule").WithSummary("Adds a routing rule.").Accepts<NewRoutingRuleRequest>("application/json"));
        Write(admin.MapPut("/routing/rules/{ruleId}", ReplaceRuleAsync).WithName("ReplaceRoutingRule").WithSummary("Replaces a routing rule.").Accepts<RoutingRuleRequest>("application/json")
            .WithRouteParameter("ruleId", RuleIdDescription));
        Write(admin.MapDelete("/routing/rules/{ruleId}", RemoveRuleAsync).WithName("RemoveRoutingRule").WithSummary("Removes a routing rule.")
            .WithRouteParameter("ruleId", RuleIdDescription));
        Write(admin.MapPut("/routing/default", SetDefaultAsync).WithName("SetDefaultRoute").WithSummary("Sets the team that gets what no rule matches.").Accepts<DefaultRouteRequest>("application/json"));
        admin.MapGet("/calendar", GetCalendarAsync).WithName("GetCalendar").WithSummary("The agency's business calendar.")
            .RequireAuthorization(Policies.StaffOrAuditor).ProducesProblem(StatusCodes.Status400BadRequest).ProducesRevalidation();
        Write(admin.MapPut("/calendar", SetCalendarAsync).WithName("SetCalendar").WithSummary("Sets the agency's business calendar (zone, weekly hours, holidays).").Accepts<CalendarDefinition>("application/json"));
        ReadModelsAdmin.Map(admin);
        return endpoints;
    }

    private const string ServiceCodeDescription = "The service's code in the agency's catalog.";

    private const string RuleIdDescription = "The routing rule's id: 1–100 letters, digits, -, _ or . given when it was added.";

    private static void Write(RouteHandlerBuilder route) =>
        route.RequireAuthorization(Policies.Admin)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity);

    private static async Task<Ok<CatalogView>> GetCatalogAsync(HttpContext http, ReferenceData reference, CancellationToken cancellationToken)
    {
        var catalog = await reference.LoadCatalogAsync(Caller.From(http.User).Agency, cancellationToken);
        VersionHeaders.SetETag(http.Response, catalog.Version);
        return TypedResults.Ok(ToView(catalog));
    }

    private static async Task<Ok<RoutingView>> GetRoutingAsync(HttpContext http, ReferenceData reference, CancellationToken cancellationToken)
    {
        var agency = Caller.From(http.User).Agency;
        var routing = await reference.LoadRoutingAsync(agency, cancellationToken);
        VersionHeaders.SetETag(http.Response, routing.Version);
        return TypedResults.Ok(ToView(routing, agency));
    }

    private static async Task<Ok<CalendarView>> GetCalendarAsync(HttpContext http, ReferenceData reference, CancellationToken cancellationToken)
    {
        var calendar = await reference.LoadCalendarAsync(Caller.From(http.User).Agency, cancellationToken);
        VersionHeaders.SetETag(http.Response, calendar.Version);
        return TypedResults.Ok(new CalendarView(calendar.Version, calendar.Value));
    }

    private static Task<Results<Ok<CatalogView>, ProblemHttpResult>> DefineServiceAsync(HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        CatalogWriteAsync<NewServiceRequest>(http, reference, clock, null, (r, agency, now, v) => Definition(r.Definition, r.Code, agency, v) is { } d ? new DefineService(d, now) : null, cancellationToken);

    private static Task<Results<Ok<CatalogView>, ProblemHttpResult>> UpdateServiceAsync(string code, HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        CatalogWriteAsync<ServiceRequest>(http, reference, clock, code, (r, agency, now, v) =>
        {
            if (r.Code is not null && r.Code != code)
            {
                v.Add("code", "must match the code in the path (or be left out).");
            }

            return Definition(r, code, agency, v) is { } d ? new UpdateService(d, now) : null;
        }, cancellationToken);

    private static Task<Results<Ok<CatalogView>, ProblemHttpResult>> RetireServiceAsync(string code, HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        CatalogWriteAsync<RetireServiceRequest>(http, reference, clock, code, (r, _, now, v) =>
            v.Value(code, "code", ServiceCode.From) is { } c ? new RetireService(c, v.Text(r.Reason, "reason", 2000), now) : null, cancellationToken);

    private static Task<Results<Ok<CatalogView>, ProblemHttpResult>> ReinstateServiceAsync(string code, HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        CatalogWriteAsync<EmptyAdminRequest>(http, reference, clock, code, (_, _, now, v) =>
            v.Value(code, "code", ServiceCode.From) is { } c ? new ReinstateService(c, now) : null, cancellationToken);

    private static Task<Results<Ok<RoutingView>, ProblemHttpResult>> AddRuleAsync(HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        RoutingWriteAsync<NewRoutingRuleRequest>(http, reference, clock, (r, agency, now, v) => Rule(r.Rule, r.RuleId, agency, v, isNew: true) is { } rule ? new AddRoutingRule(rule, now) : null, cancellationToken);

    private static Task<Results<Ok<RoutingView>, ProblemHttpResult>> ReplaceRuleAsync(string ruleId, HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        RoutingWriteAsync<RoutingRuleRequest>(http, reference, clock, (r, agency, now, v) =>
        {
            if (r.RuleId is not null && r.RuleId != ruleId)
            {
                v.Add("ruleId", "must match the rule id in the path (or be left out).");
            }

            return Rule(r, ruleId, agency, v, isNew: false) is { } rule ? new ReplaceRoutingRule(rule, now) : null;
        }, cancellationToken);

    private static Task<Results<Ok<RoutingView>, ProblemHttpResult>> RemoveRuleAsync(string ruleId, HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        RoutingWriteAsync<EmptyAdminRequest>(http, reference, clock, (_, _, now, v) => new RemoveRoutingRule(v.Text(ruleId, "ruleId", 100), now), cancellationToken);

    private static Task<Results<Ok<RoutingView>, ProblemHttpResult>> SetDefaultAsync(HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken) =>
        RoutingWriteAsync<DefaultRouteRequest>(http, reference, clock, (r, agency, now, v) =>
            v.Value(r.Team, "team", TeamId.From) is { } team ? new SetDefaultRoute(agency, team, now) : null, cancellationToken);

    private static async Task<Results<Ok<CalendarView>, ProblemHttpResult>> SetCalendarAsync(HttpContext http, ReferenceData reference, IClock clock, CancellationToken cancellationToken)
    {
        var pre = Preconditions(http);
        if (pre.Problem is not null)
        {
            return pre.Problem;
        }

        var (body, problem) = await JsonBody.ReadAsync<CalendarDefinition>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        pre = pre with { Fingerprint = CaseCommandPipeline.FingerprintOf(pre.Key, pre.Action, body!) };
        var caller = Caller.From(http.User);
        var definition = body!;
        var v = CheckCalendar(definition);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var current = await reference.LoadCalendarAsync(caller.Agency, cancellationToken);
        var (applied, reused) = await FindAppliedAsync(http, reference, caller, ReferenceData.CalendarStream, current, pre, cancellationToken);
        if (reused is not null)
        {
            return reused;
        }

        if (applied)
        {
            return Ok(http, new CalendarView(current.Version, current.Value), current.Version);
        }

        var appended = await AppendAsync(http, reference, caller, ReferenceData.CalendarStream, current.Version, pre, [new CalendarSet(caller.Agency, definition, clock.GetCurrentInstant())], cancellationToken);
        if (appended.Problem is not null)
        {
            return appended.Problem;
        }

        var after = await reference.LoadCalendarAsync(caller.Agency, cancellationToken);
        return Ok(http, new CalendarView(after.Version, after.Value), after.Version);
    }

    /// <summary>
    /// Each error under the field it is about: the API's bounds on the lists and the holidays' years here, what makes a
    /// calendar (the zone, each period, the week as a whole) from the definition itself.
    /// </summary>
    private static Validation CheckCalendar(CalendarDefinition calendar)
    {
        var v = new Validation();
        // Members left out read as null: written so, the calendar's event could not be read back (decision 0019), and
        // every later case of the agency failed.
        if (calendar.Hours is null)
        {
            v.Add("hours", "is required.");
        }

        if (calendar.Holidays is null)
        {
            v.Add("holidays", "is required.");
        }

        var holidays = calendar.Holidays ?? [];
        if (holidays.Count > 1000)
        {
            v.Add("holidays", "at most 1000 holidays.");
        }

        for (var i = 0; i < holidays.Count && i < 1000; i++)
        {
            if (holidays[i].Year is < 1900 or > 9999)
            {
                v.Add(FormattableString.Invariant($"holidays[{i}]"), "must be between the years 1900 and 9999.");
            }
        }

        if ((calendar.Hours?.Count ?? 0) > 100)
        {
            v.Add("hours", "at most 100 working periods.");
            return v;
        }

        foreach (var problem in calendar.FindProblems())
        {
            v.Add(problem.Field, problem.Message);
        }

        return v;
    }

    private static async Task<Results<Ok<CatalogView>, ProblemHttpResult>> CatalogWriteAsync<TRequest>(
        HttpContext http, ReferenceData reference, IClock clock, string? pathCode, Func<TRequest, AgencyId, Instant, Validation, CatalogCommand?> build, CancellationToken cancellationToken)
        where TRequest : class
    {
        var pre = Preconditions(http);
        if (pre.Problem is not null)
        {
            return pre.Problem;
        }

        var (body, problem) = await JsonBody.ReadAsync<TRequest>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        pre = pre with { Fingerprint = CaseCommandPipeline.FingerprintOf(pre.Key, pre.Action, body!) };
        var caller = Caller.From(http.User);
        var v = new Validation();
        var command = build(body!, caller.Agency, clock.GetCurrentInstant(), v);
        if (command is null || !v.IsValid)
        {
            return v.Problem();
        }

        var current = await reference.LoadCatalogAsync(caller.Agency, cancellationToken);
        var (applied, reused) = await FindAppliedAsync(http, reference, caller, ReferenceData.CatalogStream, current, pre, cancellationToken);
        if (reused is not null)
        {
            return reused;
        }

        if (applied)
        {
            return Ok(http, ToView(current), current.Version);
        }

        var decision = ServiceCatalog.Decide(command, current.Value);
        if (decision.Rejection is { } rejection)
        {
            return rejection.Kind switch
            {
                CatalogRejectionKind.UnknownService => Problems.Of(StatusCodes.Status404NotFound, "catalog.unknown-service", "No such service.", rejection.Message),
                // Named by member, as every other 400 and 422 is: a form shows each error beside its field.
                CatalogRejectionKind.InvalidDefinition => Problems.Of(StatusCodes.Status422UnprocessableEntity, "catalog.invalid-definition", "The definition is not valid.", rejection.Message,
                    new Dictionary<string, object?>
                    {
                        ["errors"] = rejection.Problems.GroupBy(p => p.Field, StringComparer.Ordinal)
                            .ToDictionary(g => g.Key, g => g.Select(p => p.Message + ".").ToArray(), StringComparer.Ordinal),
                    }),
                CatalogRejectionKind.AlreadyDefined => Problems.Of(StatusCodes.Status409Conflict, "catalog.already-defined", "The service exists.", rejection.Message),
                CatalogRejectionKind.Retired => Problems.Of(StatusCodes.Status409Conflict, "catalog.retired", "The service is retired.", rejection.Message),
                _ => Problems.Of(StatusCodes.Status409Conflict, "catalog.not-retired", "The service is offered.", rejection.Message),
            };
        }

        var appended = await AppendAsync(http, reference, caller, ReferenceData.CatalogStream, current.Version, pre, [.. decision.Events], cancellationToken);
        if (appended.Problem is not null)
        {
            return appended.Problem;
        }

        var after = await reference.LoadCatalogAsync(caller.Agency, cancellationToken);
        return Ok(http, ToView(after), after.Version);
    }

    private static async Task<Results<Ok<RoutingView>, ProblemHttpResult>> RoutingWriteAsync<TRequest>(
        HttpContext http, ReferenceData reference, IClock clock, Func<TRequest, AgencyId, Instant, Validation, RoutingCommand?> build, CancellationToken cancellationToken)
        where TRequest : class
    {
        var pre = Preconditions(http);
        if (pre.Problem is not null)
        {
            return pre.Problem;
        }

        var (body, problem) = await JsonBody.ReadAsync<TRequest>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        pre = pre with { Fingerprint = CaseCommandPipeline.FingerprintOf(pre.Key, pre.Action, body!) };
        var caller = Caller.From(http.User);
        var v = new Validation();
        var command = build(body!, caller.Agency, clock.GetCurrentInstant(), v);
        if (command is null || !v.IsValid)
        {
            return v.Problem();
        }

        var current = await reference.LoadRoutingAsync(caller.Agency, cancellationToken);
        var (applied, reused) = await FindAppliedAsync(http, reference, caller, ReferenceData.RoutingStream, current, pre, cancellationToken);
        if (reused is not null)
        {
            return reused;
        }

        if (applied)
        {
            return Ok(http, ToView(current, caller.Agency), current.Version);
        }

        var decision = RoutingTable.Decide(command, current.Value);
        if (decision.Rejection is { } rejection)
        {
            return rejection.Kind == RoutingRejectionKind.UnknownRule
                ? Problems.Of(StatusCodes.Status404NotFound, "routing.unknown-rule", "No such routing rule.", rejection.Message)
                : Problems.Of(StatusCodes.Status409Conflict, "routing.rejected", "The routing change is refused.", rejection.Message);
        }

        var appended = await AppendAsync(http, reference, caller, ReferenceData.RoutingStream, current.Version, pre, [.. decision.Events], cancellationToken);
        if (appended.Problem is not null)
        {
            return appended.Problem;
        }

        var after = await reference.LoadRoutingAsync(caller.Agency, cancellationToken);
        return Ok(http, ToView(after, caller.Agency), after.Version);
    }

    /// <summary>
    /// What a write's headers ask for (If-Match, Idempotency-Key) and the request a key stands for: the route as called
    /// (its name and route values: the service code or rule id) and, once the body is read, its fingerprint.
    /// </summary>
    private sealed record Precondition(IfMatchCondition? Expected, string? Key, ProblemHttpResult? Problem, string Action)
    {
        public string? Fingerprint { get; init; }
    }

    private static Precondition Preconditions(HttpContext http)
    {
        // The route by name, not the path as sent, whose letter case routing ignores; with its values (code, ruleId) as sent.
        var name = http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? http.Request.Method;
        var action = string.Concat([name, .. http.Request.RouteValues.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => " " + v.Value)]);
        if (!VersionHeaders.TryReadIfMatch(http.Request, out var expected))
        {
            return new(null, null, Problems.Invalid("If-Match", "must be * or entity tags holding versions, such as \"3\" or \"3\", \"4\"."), action);
        }

        return VersionHeaders.TryReadIdempotencyKey(http.Request, out var key)
            ? new(expected, key, null, action)
            : new(null, null, Problems.Invalid("Idempotency-Key", VersionHeaders.IdempotencyKeyProblem(http.Request)), action);
    }

    // The metadata entries an admin write's events carry besides the envelope, as a case command's do.
    private const string CommandExtra = "command";
    private const string IdempotencyKeyExtra = "idempotencyKey";
    private const string RequestFingerprintExtra = "requestFingerprint";

    /// <summary>
    /// Whether the stream already holds the write made with the request's Idempotency-Key, and if so whether it was this
    /// request: a key is its sender's and its request's, so the same key from another caller, on another route or with
    /// another body is refused (422) rather than answered as done, which would tell an admin that a change nothing made
    /// was made. Writes stored before the route and fingerprint were recorded are judged by their actor. A true retry's
    /// answer is marked Idempotent-Replayed here.
    /// </summary>
    private static async Task<(bool Applied, ProblemHttpResult? Reused)> FindAppliedAsync<T>(
        HttpContext http, ReferenceData reference, Caller caller, string stream, Versioned<T> current, Precondition pre, CancellationToken cancellationToken)
    {
        if (pre.Key is not { } key || !ReferenceData.AlreadyApplied(current, caller.Agency, stream, key))
        {
            return (false, null);
        }

        return await JudgeStoredWriteAsync(http, reference, caller, stream, key, pre, cancellationToken);
    }

    /// <summary>
    /// Whether the stream holds the write made with <paramref name="key"/>, judged as <see cref="FindAppliedAsync"/> says:
    /// this request's retry (marked Idempotent-Replayed), another request that reused the key (a problem), or none.
    /// </summary>
    private static async Task<(bool Applied, ProblemHttpResult? Reused)> JudgeStoredWriteAsync(
        HttpContext http, ReferenceData reference, Caller caller, string stream, string key, Precondition pre, CancellationToken cancellationToken)
    {
        if (await reference.FindAppliedAsync(caller.Agency, stream, key, cancellationToken) is not { } stored)
        {
            return (false, null);
        }

        var extra = stored.Extra;
        var difference =
            !string.Equals(stored.ActorId, caller.Subject, StringComparison.Ordinal) || !string.Equals(stored.ActorRole, caller.Role, StringComparison.Ordinal) ? "another actor"
            : extra is not null && extra.TryGetValue(CommandExtra, out var command) && !string.Equals(command, pre.Action, StringComparison.Ordinal) ? "another command"
            : pre.Fingerprint is { } fingerprint && extra is not null && extra.TryGetValue(RequestFingerprintExtra, out var storedFingerprint)
                && !string.Equals(storedFingerprint, fingerprint, StringComparison.Ordinal) ? "other content"
            : null;
        if (difference is not null)
        {
            return (true, Problems.KeyReused(difference));
        }

        VersionHeaders.MarkReplayed(http.Response);
        return (true, null);
    }

    private static async Task<(AppendResult? Result, ProblemHttpResult? Problem)> AppendAsync(
        HttpContext http, ReferenceData reference, Caller caller, string stream, long loadedVersion, Precondition pre, IReadOnlyList<object> events, CancellationToken cancellationToken)
    {
        if (pre.Expected is { } expected && !expected.Matches(loadedVersion))
        {
            VersionHeaders.SetETag(http.Response, loadedVersion);
            return (null, expected.StrongVersions.Count == 0
                ? Problems.PreconditionOfWeakTags(loadedVersion)
                : Problems.Precondition(expected.StrongVersions[0], loadedVersion));
        }

        if (events.Count == 0)
        {
            return (null, null);
        }

        var extra = new Dictionary<string, string>(StringComparer.Ordinal) { [CommandExtra] = pre.Action };
        if (pre.Key is { } key)
        {
            extra[IdempotencyKeyExtra] = key;
            if (pre.Fingerprint is { } fingerprint)
            {
                extra[RequestFingerprintExtra] = fingerprint;
            }
        }

        var metadata = new EventMetadata(caller.Subject, caller.Role, Correlation.Of(http), Correlation.Of(http), "api") { Extra = extra };
        AppendResult result;
        try
        {
            result = await reference.AppendAsync(caller.Agency, stream, loadedVersion, events, metadata, pre.Key, cancellationToken);
        }
        catch (WrongExpectedVersionException e)
        {
            // The same write sent to two nodes at once (a client's retry after a timeout) may have been made by the other
            // since this one loaded the stream, followed by other writes: answered as a retry, not as a lost race.
            if (pre.Key is { } sentKey && await JudgeStoredWriteAsync(http, reference, caller, stream, sentKey, pre, cancellationToken) is (true, var reused))
            {
                return (null, reused);
            }

            // If-Match matched the version loaded, which another writer has moved on since: the caller's precondition, not a
            // lost race to decide again.
            return (null, pre.Expected is { IsAny: false } ? Problems.Precondition(loadedVersion, e.ActualVersion) : Problems.Conflict(e.ActualVersion));
        }

        if (result.AlreadyAppended && pre.Key is { } storedKey)
        {
            // The store found these very events (their ids derive from the key) where this append would have put them:
            // another request with the key wrote them since this one loaded the stream. Its retry, or a reuse of the key.
            var (_, reused) = await JudgeStoredWriteAsync(http, reference, caller, stream, storedKey, pre, cancellationToken);
            return (result, reused);
        }

        return (result, null);
    }

    private static Ok<T> Ok<T>(HttpContext http, T view, long version)
    {
        VersionHeaders.SetETag(http.Response, version);
        return TypedResults.Ok(view);
    }

    private static CatalogView ToView(Versioned<ServiceCatalog> catalog) =>
        new(catalog.Version, [.. catalog.Value.Services.Values.OrderBy(e => e.Definition.Code.Value, StringComparer.Ordinal)]);

    private static RoutingView ToView(Versioned<RoutingTable> routing, AgencyId agency) =>
        new(routing.Version, routing.Value.RulesInEvaluationOrder, routing.Value.Defaults.GetValueOrDefault(agency));

    private static ServiceDefinition? Definition(ServiceRequest r, string? code, AgencyId agency, Validation v)
    {
        var serviceCode = v.Value(code, "code", ServiceCode.From);
        var name = v.Text(r.Name, "name", 200);
        var description = v.Text(r.Description, "description", 2000, required: false);
        SlaTarget? sla = null;
        if ((r.SlaHours is null) == (r.SlaCalendarDays is null))
        {
            // The pair is at fault, so both are named: a client marks the field it has, whichever that is.
            v.Add("slaHours", "give exactly one of slaHours or slaCalendarDays.");
            v.Add("slaCalendarDays", "give exactly one of slaHours or slaCalendarDays.");
        }
        else if (r.SlaHours is { } hours)
        {
            sla = hours is > 0 and <= 10_000 ? SlaTarget.BusinessHours(hours) : null;
            if (sla is null)
            {
                v.Add("slaHours", "must be from 1 to 10000.");
            }
        }
        else if (r.SlaCalendarDays is { } days)
        {
            sla = days is > 0 and <= 3650 ? SlaTarget.CalendarDays(days) : null;
            if (sla is null)
            {
                v.Add("slaCalendarDays", "must be from 1 to 3650.");
            }
        }

        var attributes = new List<ServiceAttribute>();
        foreach (var (a, i) in (r.Attributes ?? []).Select((a, i) => (a, i)))
        {
            var field = FormattableString.Invariant($"attributes[{i}]");
            if (a is null)
            {
                v.Add(field, "must be an object.");
                continue;
            }

            // Each value is named with its index, as the attributes are: two values without a key are two errors an admin can find.
            var values = (a.Values ?? []).Select((x, j) =>
            {
                var valueField = FormattableString.Invariant($"{field}.values[{j}]");
                if (x is null)
                {
                    v.Add(valueField, "must be an object.");
                    return new AttributeValue("", "");
                }

                return new AttributeValue(v.Text(x.Key, valueField + ".key", 100), v.Text(x.Name, valueField + ".name", 200));
            }).ToArray();
            attributes.Add(new ServiceAttribute(v.Text(a.Code, field + ".code", 64), v.Required(a.Datatype, field + ".datatype"), a.Required ?? false,
                v.Text(a.Description, field + ".description", 1000), a.Order ?? i + 1, values, a.Variable ?? true));
        }

        if (r.Keywords is { Length: > 50 })
        {
            v.Add("keywords", "at most 50 keywords.");
        }
        else
        {
            foreach (var (keyword, i) in (r.Keywords ?? []).Select((k, i) => (k, i)))
            {
                v.Text(keyword, FormattableString.Invariant($"keywords[{i}]"), 100);
            }
        }

        var group = string.IsNullOrWhiteSpace(r.Group) ? null : v.Text(r.Group, "group", 100);
        return v.IsValid
            ? new ServiceDefinition(serviceCode!, name, description, agency, r.DefaultPriority ?? CasePriority.Normal, sla!, attributes, group, r.Keywords)
            : null;
    }

    private static RoutingRule? Rule(RoutingRuleRequest r, string? ruleId, AgencyId agency, Validation v, bool isNew)
    {
        // A new rule's id becomes the {ruleId} of PUT and DELETE /admin/routing/rules/{ruleId}: only characters that stay
        // one path segment as they are (those of team ids and service codes) can be addressed there again. Rules added
        // before ids were restricted keep their ids, so those routes still take any text.
        var id = isNew ? v.Code(ruleId, "ruleId", 100) : v.Text(ruleId, "ruleId", 100);
        var team = v.Value(r.Team, "team", TeamId.From);
        var services = (r.Services ?? []).Select((s, i) => v.Value(s, FormattableString.Invariant($"services[{i}]"), ServiceCode.From)).ToArray();
        GeoArea? area = null;
        if (r.Area is { } a)
        {
            if (a is { South: { } s, West: { } w, North: { } n, East: { } e } && s is >= -90 and <= 90 && n is >= -90 and <= 90 && s <= n && w is >= -180 and <= 180 && e is >= -180 and <= 180)
            {
                try
                {
                    area = GeoArea.Rectangle(v.Text(a.Name, "area.name", 200), new BoundingBox(s, w, n, e));
                }
                catch (ArgumentException ex)
                {
                    v.Add("area", ex.Message.Split(" (Parameter", 2)[0]);
                }
            }
            else
            {
                v.Add("area", "needs south ≤ north latitudes (−90…90) and west, east longitudes (−180…180).");
            }
        }

        return v.IsValid ? new RoutingRule(id, r.Priority ?? 100, services!, area, agency, team!) : null;
    }
}

/// <summary>A write without input.</summary>
public sealed record EmptyAdminRequest;
