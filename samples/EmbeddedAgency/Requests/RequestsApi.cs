using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Assigning;
using EventCase.Cases.Handling;
using EventCase.Cases.Intake;
using EventCase.Cases.ReadModels.CaseSummary;
using EventCase.Cases.Resolving;
using EventCase.Cases.StartingWork;
using EventCase.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;

namespace EmbeddedAgency.Requests;

/// <summary>
/// The desk's own routes over the embedded engine: open a request (catalog, routing, numbering by <see cref="CaseIntake"/>),
/// assign, start, resolve, read it back from the case summary read model. Input is checked here first, so bad input is a
/// 400 naming the field and never reaches the store.
/// </summary>
public static class RequestsApi
{
    public static IEndpointRouteBuilder MapRequestsApi(this IEndpointRouteBuilder endpoints)
    {
        var requests = endpoints.MapGroup("/requests").WithTags("Requests");
        requests.MapPost("/", OpenAsync);
        requests.MapGet("/{id}", GetAsync);
        requests.MapPost("/{id}/assign", AssignAsync);
        requests.MapPost("/{id}/start", StartAsync);
        requests.MapPost("/{id}/resolve", ResolveAsync);
        return endpoints;
    }

    private static readonly AgencyId Agency = new(Springfield.Agency);

    private static async Task<Results<Created<OpenedRequest>, ValidationProblem, ProblemHttpResult>> OpenAsync(
        OpenRequestBody body, HttpContext http, EventCaseEngine engine, CaseIntake intake, IClock clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string problem) => errors[field] = [problem];

        ServiceCode? service = null;
        if (string.IsNullOrWhiteSpace(body.Service))
        {
            Fail("service", "is required: one of the catalog's service codes.");
        }
        else if (!TryCreate(() => new ServiceCode(body.Service), out service))
        {
            Fail("service", "must be a service code: lower-case letters, digits and dashes.");
        }

        if (string.IsNullOrWhiteSpace(body.Description) || body.Description.Length > 4000)
        {
            Fail("description", "is required, at most 4000 characters.");
        }

        GeoPoint? point = null;
        if (body.Latitude is not null || body.Longitude is not null)
        {
            if (body.Latitude is not { } lat || !double.IsFinite(lat) || lat is < -90 or > 90)
            {
                Fail("latitude", "must be a number from -90 to 90, given with longitude.");
            }
            else if (body.Longitude is not { } lon || !double.IsFinite(lon) || lon is < -180 or > 180)
            {
                Fail("longitude", "must be a number from -180 to 180, given with latitude.");
            }
            else
            {
                point = new GeoPoint(lat, lon);
            }
        }

        if (body.Address is { Length: > 500 })
        {
            Fail("address", "must be at most 500 characters.");
        }

        if (point is null && string.IsNullOrWhiteSpace(body.Address) && !errors.ContainsKey("latitude") && !errors.ContainsKey("longitude"))
        {
            Fail("location", "give latitude and longitude, or an address.");
        }

        if (body.CitizenName is { Length: > 200 })
        {
            Fail("citizenName", "must be at most 200 characters.");
        }

        if (body.CitizenEmail is { } email && (email.Length > 320 || !email.Contains('@', StringComparison.Ordinal)))
        {
            Fail("citizenEmail", "must be an e-mail address.");
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        // The reference is pseudonymous on purpose (name and e-mail are personal data, erasable later); a real desk
        // would use its own contact id for the caller.
        var citizen = body.CitizenName is null && body.CitizenEmail is null
            ? null
            : new CitizenContact("caller-" + Guid.CreateVersion7().ToString("N"), body.CitizenName, body.CitizenEmail, null);
        var request = new IntakeRequest(
            service!, body.Description!, citizen, new CaseLocation(point, body.Address), Channel.Phone, new Dictionary<string, IReadOnlyList<string>>());
        var prefix = engine.FindAgency(Agency)!.CaseNumberPrefix;
        var outcome = await intake.OpenAsync(Context(http, key), prefix, request, clock.GetCurrentInstant(), cancellationToken);
        return outcome switch
        {
            IntakeResult.UnknownService u => CommandResults.Invalid("service", $"'{u.Service}' is not a service of {u.Agency}; see the catalog."),
            IntakeResult.Handled { Result: CaseCommandResult.Accepted a } h => Created(h.CaseId, a.State, a.Version),
            IntakeResult.Handled { Result: CaseCommandResult.AlreadyApplied a } h => Created(h.CaseId, a.State, a.CurrentVersion),
            IntakeResult.Handled h => CommandResults.From(h.CaseId.Value, h.Result).Result switch
            {
                ValidationProblem v => v,
                ProblemHttpResult p => p,
                _ => throw new InvalidOperationException("An open that was not applied must be a problem."),
            },
            _ => throw new InvalidOperationException($"Unexpected intake result {outcome.GetType().Name}."),
        };
    }

    private static Created<OpenedRequest> Created(CaseId caseId, CaseState state, long version)
    {
        var opened = (OpenedCase)state;
        return TypedResults.Created($"/requests/{caseId.Value}", new OpenedRequest(caseId.Value, opened.Number.Value, opened.Assignment?.Team.Value, version));
    }

    private static async Task<Results<Ok<RequestView>, ProblemHttpResult>> GetAsync(
        string id, CaseSummaryQueries summaries, IClock clock, CancellationToken cancellationToken)
    {
        var row = IsRequestId(id) ? await summaries.GetAsync(Springfield.Agency, id, cancellationToken) : null;
        return row is null ? CommandResults.NotFound(id) : TypedResults.Ok(RequestView.From(row, clock.GetCurrentInstant()));
    }

    private static async Task<Results<Ok<CommandApplied>, ValidationProblem, ProblemHttpResult>> AssignAsync(
        string id, AssignBody body, HttpContext http, CaseCommandHandler handler, IClock clock, CancellationToken cancellationToken)
    {
        if (!TryCreate(() => new TeamId(body.Team!), out var team))
        {
            return CommandResults.Invalid("team", "is required: a team id (lower-case letters, digits and dashes).");
        }

        AgentId? agent = null;
        if (body.Agent is not null && !TryCreate(() => new AgentId(body.Agent), out agent))
        {
            return CommandResults.Invalid("agent", "must be an agent id of at most 200 characters.");
        }

        return await HandleAsync(id, caseId => new AssignCase(caseId, new Assignment(team!, agent), clock.GetCurrentInstant()), http, handler, cancellationToken);
    }

    private static Task<Results<Ok<CommandApplied>, ValidationProblem, ProblemHttpResult>> StartAsync(
        string id, HttpContext http, CaseCommandHandler handler, IClock clock, CancellationToken cancellationToken) =>
        HandleAsync(id, caseId => new StartWork(caseId, clock.GetCurrentInstant()), http, handler, cancellationToken);

    private static async Task<Results<Ok<CommandApplied>, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        string id, ResolveBody body, HttpContext http, CaseCommandHandler handler, IClock clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.Resolution) || body.Resolution.Length > 100)
        {
            return CommandResults.Invalid("resolution", "is required: a resolution code of at most 100 characters, e.g. \"repaired\".");
        }

        if (string.IsNullOrWhiteSpace(body.Summary) || body.Summary.Length > 4000)
        {
            return CommandResults.Invalid("summary", "is required: what was done, in a sentence for the citizen.");
        }

        return await HandleAsync(id, caseId => new ResolveCase(caseId, body.Resolution, body.Summary, clock.GetCurrentInstant()), http, handler, cancellationToken);
    }

    private static async Task<Results<Ok<CommandApplied>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string id, Func<CaseId, CaseCommand> command, HttpContext http, CaseCommandHandler handler, CancellationToken cancellationToken)
    {
        if (!IsRequestId(id))
        {
            return CommandResults.NotFound(id);
        }

        var result = await handler.HandleAsync(command(new CaseId(id)), Context(http, http.Request.Headers["Idempotency-Key"].FirstOrDefault()), cancellationToken);
        return CommandResults.From(id, result);
    }

    /// <summary>
    /// This desk's request ids are UUIDs (<see cref="CaseIntake.NewCaseId"/>). Anything else is not one of its requests —
    /// in particular not the agency's reference streams (<c>$catalog</c>, …), which live beside the cases.
    /// </summary>
    private static bool IsRequestId(string id) => Guid.TryParse(id, out _);

    /// <summary>Who acts: the desk agent named in <c>X-Agent</c> (a real host takes it from its own sign-in).</summary>
    private static CommandContext Context(HttpContext http, string? idempotencyKey)
    {
        var agent = http.Request.Headers["X-Agent"].FirstOrDefault();
        return new CommandContext(Agency, string.IsNullOrWhiteSpace(agent) ? "desk" : agent, "agent", http.TraceIdentifier, "desk-api")
        {
            IdempotencyKey = string.IsNullOrWhiteSpace(idempotencyKey) ? null : idempotencyKey,
        };
    }

    private static bool TryCreate<T>(Func<T> create, out T? value)
        where T : class
    {
        try
        {
            value = create();
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NullReferenceException)
        {
            value = null;
            return false;
        }
    }
}
