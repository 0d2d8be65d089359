using System.Text;
using System.Text.Json;
using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.ReadModels;
using EventCase.Cases.ReadModels.AuditTrail;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.ReadModels.SlaClocks;
using EventCase.Cases.ReadModels.TransparencyStatistics;
using EventCase.Cases.ReadModels.WorkQueues;
using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using EventCase.Server.Admin;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Server.Reports;

/// <summary>A page of a keyset-paged list.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items.</param>
/// <param name="NextCursor">Pass as <c>?cursor=</c> for the next page; null on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>The read-model routes: case lists, work queues, SLA clocks, the audit trail and transparency statistics.</summary>
public static class ReportsApi
{
    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapReportsApi(this IEndpointRouteBuilder endpoints)
    {
        var cases = endpoints.MapGroup("/cases").WithTags("Cases")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        cases.MapGet("/", ListCasesAsync).WithName("ListCases")
            .WithSummary("Lists the agency's cases, newest first, with filters (status, service, team, assignee, openedFrom, openedBefore) and keyset paging (limit, cursor). Citizens see only their own.")
            .RequireAuthorization(Policies.Read)
            .WithQueryParameter("status", QueryType.ListOf(StatusNames), "Only cases in one of these statuses (a comma-separated list).")
            .WithQueryParameter("service", QueryType.Text(), "Only cases of this service code.")
            .WithQueryParameter("team", QueryType.Text(), "Only cases assigned to this team.")
            .WithQueryParameter("assignee", QueryType.Text(200), "Only cases assigned to this agent (at most 200 characters).")
            .WithQueryParameter("openedFrom", QueryType.Instant, "Only cases opened at or after this instant (ISO-8601 with Z or an offset).")
            .WithQueryParameter("openedBefore", QueryType.Instant, "Only cases opened before this instant (ISO-8601 with Z or an offset).")
            .WithQueryParameter("limit", QueryType.Integer(1, 200, defaultValue: 50), "Cases per page, 1–200 (default 50).")
            .WithQueryParameter("cursor", QueryType.Text(), "The nextCursor of the previous page, to read the next one.");

        var queues = endpoints.MapGroup("/queues").WithTags("Work queues")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.StaffOrAuditor);
        queues.MapGet("/", QueueAsync).WithName("GetWorkQueue")
            .WithSummary("The open cases of the agency (or ?team= / ?assignee=) by escalation, priority and SLA due; filters status, service, unassigned=true|false, breached=true|false; keyset paging.")
            .WithQueryParameter("team", QueryType.Text(), "The queue of this team (not with assignee); default the whole agency.")
            .WithQueryParameter("assignee", QueryType.Text(200), "The queue of this agent (not with team; at most 200 characters).")
            .WithQueryParameter("status", QueryType.ListOf(StatusNames), "Only cases in one of these statuses (a comma-separated list).")
            .WithQueryParameter("service", QueryType.Text(), "Only cases of this service code.")
            .WithQueryParameter("unassigned", QueryType.Boolean, "true: only cases no agent has picked; false: only picked ones.")
            .WithQueryParameter("breached", QueryType.Boolean, "true: only cases whose SLA target is missed now; false: only the others.")
            .WithQueryParameter("limit", QueryType.Integer(1, 200, defaultValue: 50), "Cases per page, 1–200 (default 50).")
            .WithQueryParameter("cursor", QueryType.Text(), "The nextCursor of the previous page, to read the next one.");

        var sla = endpoints.MapGroup("/sla").WithTags("SLA")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.StaffOrAuditor);
        sla.MapGet("/breaching", BreachingAsync).WithName("GetSlaBreachingWithin")
            .WithSummary("SLA clocks that will breach within ?withinHours=N (1–720), soonest first.")
            .WithQueryParameter("withinHours", QueryType.Integer(1, 720), "Clocks breaching within this many hours, 1–720.", required: true)
            .WithQueryParameter("limit", QueryType.Integer(1, 1000, defaultValue: 500), "Clocks at most, 1–1000 (default 500).");
        sla.MapGet("/cases/{id}", SlaClockAsync).WithName("GetSlaClock")
            .WithSummary("The SLA clock of one case: target, business time elapsed and remaining, pauses, due and breach.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithRouteParameter("id", CasesApi.CaseIdDescription);

        var audit = endpoints.MapGroup("/audit").WithTags("Audit")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.Audit);
        audit.MapGet("/cases/{id}", AuditCaseAsync).WithName("GetCaseAuditTrail")
            .WithSummary("Who did what, when and why to a case, with before → after changes.").ProducesProblem(StatusCodes.Status404NotFound)
            .WithRouteParameter("id", CasesApi.CaseIdDescription);
        audit.MapGet("/cases/{id}/verification", VerifyCaseAsync).WithName("VerifyCaseHashChain")
            .WithSummary("Verifies the case's hash chain against the events as stored, now: the verdict, the head (version and hash, to compare with a signed checkpoint or an export) and where the chain first breaks.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithRouteParameter("id", CasesApi.CaseIdDescription);
        audit.MapGet("/actors/{actorId}", AuditActorAsync).WithName("GetActorAuditTrail")
            .WithSummary("Everything one actor did in the agency (?from=, ?to= instants; ?limit=).")
            .WithRouteParameter("actorId", "The actor: a token's sub claim (1–200 characters).")
            .WithQueryParameter("from", QueryType.Instant, "Only what the actor did at or after this instant, on the cases' own timeline.")
            .WithQueryParameter("to", QueryType.Instant, "Only what the actor did before this instant, on the cases' own timeline; after from.")
            .WithQueryParameter("limit", QueryType.Integer(1, 10_000, defaultValue: 1000), "Entries at most, 1–10,000 (default 1000), oldest first.");
        audit.MapGet("/cases/{id}/export", AuditExports.ExportCaseAsync).WithName("ExportCaseAuditHistory")
            .WithSummary("The case's whole stream as stored, each event with its hash and the hash it chains from, as a file to verify offline (docs/audit.md): ?format=jsonl (default, application/x-ndjson) or csv. Streamed.")
            .Produces<string>(StatusCodes.Status200OK, AuditExports.JsonLinesMediaType, AuditExports.CsvMediaType)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithRouteParameter("id", CasesApi.CaseIdDescription)
            .WithQueryParameter("format", AuditExports.FormatType, AuditExports.FormatDescription);
        audit.MapGet("/export", AuditExports.ExportPeriod).WithName("ExportAgencyAuditHistory")
            .WithSummary("Every event of the agency recorded in [?from=, ?to=) (instants, both required), with hashes, ordered by case and version, as a file to verify offline: ?format=jsonl (default) or csv. Streamed.")
            .Produces<string>(StatusCodes.Status200OK, AuditExports.JsonLinesMediaType, AuditExports.CsvMediaType)
            .WithQueryParameter("from", QueryType.Instant, "The period's start, inclusive: an instant on the store's clock (when events were recorded).", required: true)
            .WithQueryParameter("to", QueryType.Instant, "The period's end, exclusive: an instant after from.", required: true)
            .WithQueryParameter("format", AuditExports.FormatType, AuditExports.FormatDescription);

        var statistics = endpoints.MapGroup("/statistics").WithTags("Statistics")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.StaffOrAuditor);
        statistics.MapGet("/transparency", StatisticsJsonAsync).WithName("GetTransparencyStatistics")
            .WithSummary("Opened, resolved, backlog, resolution times, SLA compliance and reopen rate per service and ?granularity=day|week|month from ?from= to ?to= (local dates).")
            .WithStatisticsParameters();
        statistics.MapGet("/transparency.csv", StatisticsCsvAsync).WithName("GetTransparencyStatisticsCsv")
            .WithSummary("The same statistics as CSV (RFC 4180).").Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithStatisticsParameters();
        return endpoints;
    }

    /// <summary>The statuses as the API writes them, which <see cref="Statuses"/> reads in any letter case.</summary>
    // Every status a stored case can be in, as the API writes them: NotOpened is the state before a case's first
    // event, which no case in the read models is in, so a filter on it could only ever find nothing.
    private static readonly CaseStatus[] ListableStatuses = [.. CaseStatuses.All.Where(s => s != CaseStatus.NotOpened)];

    private static readonly string[] StatusNames = [.. ListableStatuses.Select(s => JsonNamingPolicy.CamelCase.ConvertName(s.ToString()))];

    private static RouteHandlerBuilder WithStatisticsParameters(this RouteHandlerBuilder route) => route
        .WithQueryParameter("granularity", QueryType.OneOf(["day", "week", "month"], defaultValue: "month"), "The length of each period, by name (default month).")
        .WithQueryParameter("from", QueryType.Date, "The first date, in the agency's zone (default three months before to); on or before to and at most ten years before it.")
        .WithQueryParameter("to", QueryType.Date, "The last date, in the agency's zone (default today); its period must end by 9999-12-31.")
        .WithQueryParameter("minCases", QueryType.Integer(1, TransparencyStatisticsRow.MaximumWithholdingThreshold, defaultValue: 1),
            "For publication: figures computed from fewer cases than this are left out (resolution times, SLA compliance and reopen rate under this many resolutions; average satisfaction under this many responses). Counts are always given. Default 1: nothing left out.");

    private static async Task<Results<Ok<Page<CaseSummaryRow>>, ProblemHttpResult>> ListCasesAsync(
        HttpContext http, EventCaseDatabase database, IClock clock, [CommaSeparatedList] string? status, string? service, string? team, string? assignee,
        string? openedFrom, string? openedBefore, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        var statuses = Statuses(v, status);
        var from = v.Instant(openedFrom, "openedFrom");
        var before = v.Instant(openedBefore, "openedBefore");
        var size = (int)(v.Long(limit, "limit", 1, 200) ?? 50);
        CheckCode(v, service, "service", ServiceCode.From);
        CheckCode(v, team, "team", TeamId.From);
        CheckText(v, assignee, "assignee", 200);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var filter = new CaseSummaryFilter(statuses, service is null ? null : [service], team, assignee, caller.IsCitizen ? caller.CitizenReference : null, from, before);
        try
        {
            var page = await new CaseSummaryQueries(database.Store).ListAsync(caller.Agency.Value, filter, size, Cursor(cursor), cancellationToken);
            // The breach as of the request, as the queues show it: a case whose due instant passed since its last event
            // is breached although its stored row does not say so yet.
            var now = clock.GetCurrentInstant();
            return TypedResults.Ok(new Page<CaseSummaryRow>([.. page.Items.Select(row => row.WithSlaBreachAsOf(now))], page.NextCursor));
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return Problems.Invalid("cursor", "is not a cursor this list returned.");
        }
    }

    private static async Task<Results<Ok<Page<WorkQueueItem>>, ProblemHttpResult>> QueueAsync(
        HttpContext http, EventCaseDatabase database, IClock clock, string? team, string? assignee, [CommaSeparatedList] string? status, string? service,
        string? unassigned, string? breached, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        // The flags are bound as text and parsed here: a framework-bound bool? that does not parse would fail the
        // request before the handler runs (a 500 in Development, a 400 without errors elsewhere).
        var caller = Caller.From(http.User);
        var v = new Validation();
        var statuses = Statuses(v, status);
        var size = (int)(v.Long(limit, "limit", 1, 200) ?? 50);
        var onlyUnassigned = v.Boolean(unassigned, "unassigned");
        var onlyBreached = v.Boolean(breached, "breached");
        CheckCode(v, team, "team", TeamId.From);
        CheckCode(v, service, "service", ServiceCode.From);
        if (team is not null && assignee is not null)
        {
            v.Add("assignee", "give either ?team= or ?assignee=, not both.");
        }
        else
        {
            CheckText(v, assignee, "assignee", 200);
        }

        if (!v.IsValid)
        {
            return v.Problem();
        }

        var scope = team is not null ? WorkQueueScope.OfTeam(team) : assignee is not null ? WorkQueueScope.OfAssignee(assignee) : WorkQueueScope.Agency;
        try
        {
            var page = await new WorkQueueQueries(database.Store).PageAsync(
                caller.Agency.Value, scope, new WorkQueueFilter(statuses, service, onlyUnassigned, onlyBreached), clock.GetCurrentInstant(), size, Cursor(cursor), cancellationToken);
            return TypedResults.Ok(new Page<WorkQueueItem>(page.Items, page.NextCursor));
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return Problems.Invalid("cursor", "is not a cursor this queue returned.");
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<SlaClockView>>, ProblemHttpResult>> BreachingAsync(
        HttpContext http, EventCaseDatabase database, CalendarCache calendars, IClock clock, string? withinHours, string? limit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        var hours = v.Long(withinHours, "withinHours", 1, 720);
        if (hours is null && v.IsValid)
        {
            v.Add("withinHours", "is required.");
        }

        var size = (int)(v.Long(limit, "limit", 1, 1000) ?? 500);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var clocks = await new SlaClockQueries(database.Store, calendars).BreachingWithinAsync(
            caller.Agency.Value, Duration.FromHours(hours!.Value), clock.GetCurrentInstant(), size, cancellationToken);
        return TypedResults.Ok(clocks);
    }

    private static async Task<Results<Ok<SlaClockView>, ProblemHttpResult>> SlaClockAsync(
        string id, HttpContext http, EventCaseDatabase database, CalendarCache calendars, IClock clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        var view = await new SlaClockQueries(database.Store, calendars).GetAsync(caller.Agency.Value, caseId.Value, clock.GetCurrentInstant(), cancellationToken);
        return view is null ? Problems.NotFoundCase(id) : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<IReadOnlyList<AuditEntry>>, ProblemHttpResult>> AuditCaseAsync(
        string id, HttpContext http, EventCaseDatabase database, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        if (!CaseAccess.TryParseId(id, out var caseId)
            || await CaseAccess.ReadFirstAsync(database.Store, caller.Agency, caseId, cancellationToken) is null)
        {
            return Problems.NotFoundCase(id);
        }

        return TypedResults.Ok(await new AuditTrailQueries(database.Store).ForCaseAsync(caller.Agency.Value, caseId.Value, cancellationToken));
    }

    private static async Task<Results<Ok<CaseVerification>, ProblemHttpResult>> VerifyCaseAsync(
        string id, HttpContext http, EventCaseDatabase database, IClock clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        // Existence is the verifier's to say, not the first event's: a case whose first event or stream row was deleted
        // is exactly what an auditor must see reported, not answered with a 404. Only a case with neither is absent.
        var verification = await new AuditVerifier(database.Store).VerifyStreamAndHeadAsync(new StreamName(caller.Agency.Value, caseId.Value), cancellationToken);
        return verification.Report.StreamsChecked == 0
            ? Problems.NotFoundCase(id)
            : TypedResults.Ok(CaseVerification.From(caseId.Value, verification, clock.GetCurrentInstant()));
    }

    private static async Task<Results<Ok<IReadOnlyList<AuditEntry>>, ProblemHttpResult>> AuditActorAsync(
        string actorId, HttpContext http, EventCaseDatabase database, string? from, string? to, string? limit, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        v.Text(actorId, "actorId", 200);
        var start = v.Instant(from, "from");
        var end = v.Instant(to, "to");
        var size = (int)(v.Long(limit, "limit", 1, 10_000) ?? 1000);
        v.PeriodEndsAfterStart(start, end);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        return TypedResults.Ok(await new AuditTrailQueries(database.Store).ForActorAsync(caller.Agency.Value, actorId, start, end, size, cancellationToken));
    }

    private static async Task<Results<Ok<IReadOnlyList<TransparencyStatisticsRow>>, ProblemHttpResult>> StatisticsJsonAsync(
        HttpContext http, EventCaseDatabase database, CalendarCache calendars, IClock clock, string? granularity, string? from, string? to, string? minCases, CancellationToken cancellationToken)
    {
        var (rows, problem) = await StatisticsAsync(http, database, calendars, clock, granularity, from, to, minCases, cancellationToken);
        return problem is not null ? problem : TypedResults.Ok(rows!);
    }

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> StatisticsCsvAsync(
        HttpContext http, EventCaseDatabase database, CalendarCache calendars, IClock clock, string? granularity, string? from, string? to, string? minCases, CancellationToken cancellationToken)
    {
        var (rows, problem) = await StatisticsAsync(http, database, calendars, clock, granularity, from, to, minCases, cancellationToken);
        return problem is not null ? problem : TypedResults.Text(TransparencyReport.ToCsv(rows!), "text/csv", Encoding.UTF8);
    }

    private static async Task<(IReadOnlyList<TransparencyStatisticsRow>? Rows, ProblemHttpResult? Problem)> StatisticsAsync(
        HttpContext http, EventCaseDatabase database, CalendarCache calendars, IClock clock, string? granularity, string? from, string? to, string? minCases,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        var threshold = (int)(v.Long(minCases, "minCases", 1, TransparencyStatisticsRow.MaximumWithholdingThreshold) ?? 1);
        var unit = StatisticsGranularity.Month;
        if (granularity is not null)
        {
            // By name only: Enum.TryParse would also take "1" (week) and "7" (no granularity at all).
            if (Validation.NamedValue<StatisticsGranularity>(granularity) is { } named)
            {
                unit = named;
            }
            else
            {
                v.Add("granularity", "must be day, week or month.");
            }
        }

        var today = clock.GetCurrentInstant().InZone(calendars.For(caller.Agency.Value).Zone).Date;
        var end = Date(v, to, "to") ?? today;
        var start = Date(v, from, "from") ?? end.PlusMonths(-3);
        if (v.IsValid && (start > end || start < end.PlusYears(-10)))
        {
            v.Add("from", "must be on or before ?to= and at most ten years before it.");
        }
        else if (v.IsValid)
        {
            try
            {
                _ = TransparencyStatisticsQueries.Periods(unit, start, end);
            }
            catch (ArgumentException)
            {
                // The period containing ?to= ends on the first date after it, which must exist.
                v.Add("to", "must lie in a period that ends by 9999-12-31 (a period ends on the first date after its last day).");
            }
        }

        if (!v.IsValid)
        {
            return (null, v.Problem());
        }

        var rows = await new TransparencyStatisticsQueries(database.Store, calendars).ComputeAsync(caller.Agency.Value, unit, start, end, cancellationToken);
        return ([.. rows.Select(row => row.WithholdingFiguresOfFewerThan(threshold))], null);
    }

    private static LocalDate? Date(Validation v, string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parsed = LocalDatePattern.Iso.Parse(text);
        if (!parsed.Success || parsed.Value.Year is < 1900 or > 9999)
        {
            v.Add(field, "is not an ISO-8601 date (YYYY-MM-DD) between 1900 and 9999.");
            return null;
        }

        return parsed.Value;
    }

    private static IReadOnlyList<CaseStatus>? Statuses(Validation v, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var statuses = new List<CaseStatus>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (Enum.TryParse<CaseStatus>(part, ignoreCase: true, out var status) && ListableStatuses.Contains(status) && !part.Any(char.IsAsciiDigit))
            {
                statuses.Add(status);
            }
            else
            {
                v.Add("status", "must be a comma-separated list of " + string.Join(", ", StatusNames) + ".");
                return null;
            }
        }

        return statuses;
    }

    private static void CheckCode<T>(Validation v, string? value, string field, Func<string, T> create)
        where T : class
    {
        if (value is not null)
        {
            v.Value(value, field, create);
        }
    }

    /// <summary>A free-text filter is compared with stored text in SQL, so it must be text PostgreSQL can take.</summary>
    private static void CheckText(Validation v, string? value, string field, int maxLength)
    {
        if (value is not null)
        {
            v.Text(value, field, maxLength);
        }
    }

    private static string? Cursor(string? cursor) => string.IsNullOrWhiteSpace(cursor) ? null : cursor;
}
