using EventCase.Cases.Agencies;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.Routing;
using EventCase.EventStore;
using NodaTime;

namespace EventCase.Cases.Intake;

/// <summary>A request for service, already checked for shape by the caller (lengths, coordinates).</summary>
/// <param name="Service">The service asked for, looked up in the agency's catalog.</param>
/// <param name="Description">What the citizen wrote.</param>
/// <param name="Citizen">Who asked, if known.</param>
/// <param name="Location">Where, if the service is about a place; its point is what routing rules match.</param>
/// <param name="Channel">Where the request came in.</param>
/// <param name="Attributes">Attribute code → values, checked against the service definition by the case rules.</param>
/// <param name="Priority">An explicit priority; null takes the service's default.</param>
public sealed record IntakeRequest(
    ServiceCode Service,
    string Description,
    CitizenContact? Citizen,
    CaseLocation? Location,
    Channel Channel,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes,
    CasePriority? Priority = null);

/// <summary>What became of an <see cref="IntakeRequest"/>.</summary>
public abstract record IntakeResult
{
    private IntakeResult()
    {
    }

    /// <summary>The service is not in the agency's catalog: nothing was numbered or stored.</summary>
    /// <param name="Agency">The agency.</param>
    /// <param name="Service">The code asked for.</param>
    public sealed record UnknownService(AgencyId Agency, ServiceCode Service) : IntakeResult;

    /// <summary>The open went to the command handler; <paramref name="Result"/> says how it ended.</summary>
    /// <param name="CaseId">The case's id.</param>
    /// <param name="Result">Accepted, already applied (a retry), rejected by the case rules, …</param>
    public sealed record Handled(CaseId CaseId, CaseCommandResult Result) : IntakeResult;
}

/// <summary>
/// Case intake, the same for every front door (REST, Open311, an embedding host): look the service up in the agency's
/// catalog, route it to a team by the agency's routing table, draw the next number of the agency's series in its local
/// year, and open the case through the <see cref="CaseCommandHandler"/>. Thread safe.
/// </summary>
/// <param name="reference">The agencies' catalogs, routing tables and calendars.</param>
/// <param name="handler">The command handler; it must have a case number allocator.</param>
public sealed class CaseIntake(ReferenceData reference, CaseCommandHandler handler)
{
    /// <summary>
    /// A new case id: a UUIDv7, or, with an idempotency key, one derived from the agency and the key, so that a retried
    /// request names the same case and opens nothing new.
    /// </summary>
    public static CaseId NewCaseId(AgencyId agency, string? idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(agency);
        return idempotencyKey is null
            ? new CaseId(Guid.CreateVersion7().ToString())
            : new CaseId(CaseEventIds.ForIdempotencyKey(new StreamName(agency.Value, "$open"), idempotencyKey, 0).ToString());
    }

    /// <summary>
    /// Opens a case of <see cref="CommandContext.Agency"/> for <paramref name="request"/> under a new id
    /// (<see cref="NewCaseId"/> of the context's idempotency key). Without an idempotency key the id is a fresh UUIDv7
    /// that no stream can hold, so the open does not read the case's stream first: one round trip fewer.
    /// </summary>
    /// <param name="context">Who asks, for which agency (and the idempotency key, if any).</param>
    /// <param name="numberPrefix">The agency's case number prefix (see <see cref="CaseNumberSeries.DefaultPrefix"/>).</param>
    /// <param name="request">The request.</param>
    /// <param name="now">The current instant.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The result; <see cref="IntakeResult.Handled.CaseId"/> is the id the case was opened under.</returns>
    public Task<IntakeResult> OpenAsync(
        CommandContext context, string numberPrefix, IntakeRequest request, Instant now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return OpenCoreAsync(context, NewCaseId(context.Agency, context.IdempotencyKey), minted: context.IdempotencyKey is null, numberPrefix, request, now, cancellationToken);
    }

    /// <summary>Opens a case of <see cref="CommandContext.Agency"/> for <paramref name="request"/>.</summary>
    /// <param name="context">Who asks, for which agency (and the idempotency key, if any).</param>
    /// <param name="caseId">The new case's id (see <see cref="NewCaseId"/>).</param>
    /// <param name="numberPrefix">The agency's case number prefix (see <see cref="CaseNumberSeries.DefaultPrefix"/>).</param>
    /// <param name="request">The request.</param>
    /// <param name="now">The current instant.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    public Task<IntakeResult> OpenAsync(
        CommandContext context, CaseId caseId, string numberPrefix, IntakeRequest request, Instant now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(caseId);
        return OpenCoreAsync(context, caseId, minted: false, numberPrefix, request, now, cancellationToken);
    }

    private async Task<IntakeResult> OpenCoreAsync(
        CommandContext context, CaseId caseId, bool minted, string numberPrefix, IntakeRequest request, Instant now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var agency = context.Agency;
        var (catalog, routing) = await reference.LoadIntakeAsync(agency, cancellationToken);
        if (catalog.Value.Find(request.Service) is not { } entry)
        {
            return new IntakeResult.UnknownService(agency, request.Service);
        }

        var route = routing.Value.Route(new RoutingRequest(request.Service, agency, request.Location?.Point));
        // A rule may route to another agency; the case still opens here (the caller's agency) and only takes a team of its own.
        var team = route is not null && route.Agency == agency ? route.Team : null;
        var series = CaseNumberSeries.At(agency, numberPrefix, now, reference.CalendarFor(agency.Value).Zone);
        OpenCase CreateCommand(CaseNumber number) => new(
            caseId, number, agency, entry, request.Description, request.Citizen, request.Location, request.Channel, request.Attributes, now, request.Priority, team);
        var result = minted
            ? await handler.OpenMintedCaseAsync(context, caseId, series, CreateCommand, cancellationToken)
            : await handler.OpenCaseAsync(context, caseId, series, CreateCommand, cancellationToken);
        return new IntakeResult.Handled(caseId, result);
    }
}
