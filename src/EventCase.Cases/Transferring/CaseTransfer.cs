using EventCase.Cases.Agencies;
using EventCase.Cases.Catalog;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Numbering;
using EventCase.Cases.Opening;
using EventCase.Cases.Routing;
using EventCase.EventStore;
using NodaTime;

namespace EventCase.Cases.Transferring;

/// <summary>A transfer of a case to another agency, checked for shape by the caller.</summary>
/// <param name="CaseId">The case to hand over (of <see cref="CommandContext.Agency"/>).</param>
/// <param name="ToAgency">The receiving agency: it must have a service catalog.</param>
/// <param name="Reason">Why.</param>
/// <param name="Service">The receiving agency's service to open the case under; null takes the case's own service code,
/// which the receiving catalog must then hold.</param>
/// <param name="Attributes">Attribute values for the receiving service, replacing by code those copied from the case.</param>
public sealed record CaseTransferRequest(
    CaseId CaseId,
    AgencyId ToAgency,
    string Reason,
    ServiceCode? Service = null,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Attributes = null);

/// <summary>What became of a <see cref="CaseTransferRequest"/>.</summary>
public abstract record TransferResult
{
    private TransferResult()
    {
    }

    /// <summary>The receiving agency has no service catalog, so it is no agency this engine knows: nothing was written.</summary>
    /// <param name="Agency">The agency asked for.</param>
    public sealed record UnknownAgency(AgencyId Agency) : TransferResult;

    /// <summary>The service is not in the receiving agency's catalog: nothing was numbered or written.</summary>
    /// <param name="Agency">The receiving agency.</param>
    /// <param name="Service">The code asked for (or the case's own).</param>
    /// <param name="Named">True when the request named the service; false when it was the case's own code.</param>
    public sealed record UnknownService(AgencyId Agency, ServiceCode Service, bool Named) : TransferResult;

    /// <summary>
    /// The transfer was decided; <paramref name="Result"/> is the answer about the transferred case (its version,
    /// its events, a rejection, …), as for any other command.
    /// </summary>
    /// <param name="Result">The answer about the transferred case.</param>
    /// <param name="Receiving">The receiving agency's case, when the transfer is stored (accepted now or before, with
    /// the same idempotency key); null otherwise.</param>
    public sealed record Handled(CaseCommandResult Result, ReceivingCase? Receiving) : TransferResult;
}

/// <summary>
/// Hands a case over to another agency in one atomic step: the case's <see cref="CaseTransferred"/> and the receiving
/// agency's <see cref="CaseOpened"/> (and, when its routing picks a team, <c>CaseAssigned</c>) are appended in one
/// multi-stream append, the transferred case at the version it was decided on, the receiving case as a new stream. So a
/// crash or a concurrent command never leaves a request transferred out without a case that takes it over, or a
/// receiving case for a transfer that did not happen. Thread safe.
/// </summary>
/// <remarks>
/// <para>The receiving case is the receiving agency's: its service (from the request, else the same code) is looked up
/// in its catalog, its team by its routing table, its number drawn from its series in its local year, and its SLA
/// target and calendar are its own, counted from the transfer. It copies the request: description, citizen, location,
/// channel, the case's current priority, and the attributes the receiving service defines (others are left on the
/// transferred case; values in the request replace copied ones), checked against the receiving definition.</para>
/// <para>Loading, the If-Match and Idempotency-Key checks, event metadata and snapshots are the
/// <see cref="CaseCommandHandler"/>'s; the decisions are <see cref="CaseDecider"/>'s. With an idempotency key the
/// receiving case's id is derived from the transferred case and the key, so a retry opens nothing new.</para>
/// </remarks>
/// <param name="reference">The agencies' catalogs, routing tables and calendars.</param>
/// <param name="handler">The command handler; it must have a case number allocator.</param>
public sealed class CaseTransfer(ReferenceData reference, CaseCommandHandler handler)
{
    /// <summary>
    /// The id of the case a transfer opens: a UUIDv7, or, with an idempotency key, one derived from the transferred case
    /// (agency and id) and the key, so that a retried transfer names the same receiving case.
    /// </summary>
    public static CaseId NewCaseId(AgencyId fromAgency, CaseId caseId, string? idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(fromAgency);
        ArgumentNullException.ThrowIfNull(caseId);
        return idempotencyKey is null
            ? new CaseId(Guid.CreateVersion7().ToString())
            : new CaseId(CaseEventIds.ForIdempotencyKey(new StreamName(fromAgency.Value, "$transfer/" + caseId.Value), idempotencyKey, 0).ToString());
    }

    /// <summary>
    /// Transfers <see cref="CaseTransferRequest.CaseId"/> of <see cref="CommandContext.Agency"/> to
    /// <see cref="CaseTransferRequest.ToAgency"/>, opening the receiving case in the same append.
    /// </summary>
    /// <param name="context">Who asks (the transferred case's agency), with the idempotency key and If-Match, if any.</param>
    /// <param name="request">The transfer.</param>
    /// <param name="receivingPrefix">The receiving agency's case number prefix.</param>
    /// <param name="now">The current instant: the transfer's, and the receiving case's opening.</param>
    /// <param name="cancellationToken">Cancels the transfer (an append that committed stays).</param>
    public async Task<TransferResult> TransferAsync(
        CommandContext context, CaseTransferRequest request, string receivingPrefix, Instant now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(receivingPrefix);
        var numbers = handler.Numbers ?? throw new InvalidOperationException("This handler has no case number allocator; a transfer numbers the receiving case.");
        var options = handler.Options;
        Receiving? prepared = null;
        for (var attempt = 1; ; attempt++)
        {
            // The whole history: the key's earlier append is looked for in it, and the opening holds what is copied.
            var loaded = await handler.LoadAsync(context.Agency, request.CaseId, cancellationToken);
            var command = new TransferCase(request.CaseId, request.ToAgency, request.Reason, now);
            if (CaseCommandHandler.Precheck(loaded, command, context, attempt) is { } answered)
            {
                return new TransferResult.Handled(answered, ReceivingOf(answered));
            }

            // The case's own rules first (open, another agency, a reason): nothing is looked up or numbered for a
            // transfer the case refuses.
            if (CaseDecider.Decide(command, loaded.State).Rejection is { } refused)
            {
                return new TransferResult.Handled(new CaseCommandResult.Rejected(refused, loaded.Version) { Attempts = attempt }, null);
            }

            var state = (OpenedCase)loaded.State;
            if (prepared is null)
            {
                var found = await PrepareAsync(context, request, state, loaded, receivingPrefix, now, numbers, cancellationToken);
                if (found.Result is { } notFound)
                {
                    return notFound;
                }

                prepared = found.Receiving!;
            }

            var opening = CaseDecider.Decide(prepared.Open with { Priority = state.Priority }, CaseState.Initial);
            if (opening.Rejection is { } openRefused)
            {
                return new TransferResult.Handled(new CaseCommandResult.Rejected(openRefused, loaded.Version) { Attempts = attempt }, null);
            }

            var transfer = command with { Receiving = prepared.Case };
            var transferring = CaseDecider.Decide(transfer, loaded.State);
            if (transferring.Rejection is { } transferRefused)
            {
                return new TransferResult.Handled(new CaseCommandResult.Rejected(transferRefused, loaded.Version) { Attempts = attempt }, null);
            }

            var receivingStream = CaseStreams.For(request.ToAgency, prepared.Case.CaseId);
            StreamAppend[] appends =
            [
                new(loaded.Stream, CaseStreams.StreamType, ExpectedVersion.Exactly(loaded.Version),
                    CaseCommandHandler.ToNewEvents(loaded.Stream, transfer, context, transferring.Events)),
                new(receivingStream, CaseStreams.StreamType, ExpectedVersion.NoStream,
                    CaseCommandHandler.ToNewEvents(receivingStream, transfer, context, opening.Events)),
            ];
            if (options.BeforeAppend is { } hook)
            {
                await hook(transfer, attempt, cancellationToken);
            }

            IReadOnlyList<AppendResult> appended;
            try
            {
                appended = await handler.Store.AppendToStreamsAsync(appends, cancellationToken);
            }
            catch (WrongExpectedVersionException conflict)
            {
                if (context.ExpectedVersion is { } ifMatch)
                {
                    // The caller asked for this exact version; re-deciding on a newer one would overrule them.
                    return new TransferResult.Handled(new CaseCommandResult.PreconditionFailed(ifMatch, conflict.ActualVersion) { Attempts = attempt }, null);
                }

                if (attempt > options.MaxConcurrencyRetries)
                {
                    return new TransferResult.Handled(new CaseCommandResult.ConcurrencyConflict(conflict.ActualVersion) { Attempts = attempt }, null);
                }

                // The case moved (or the same key raced us): decide again on what it is now, with the same receiving
                // case and number; the next load answers an earlier append with the key.
                continue;
            }
            catch (DuplicateEventIdException) when (context.IdempotencyKey is not null && attempt <= options.MaxConcurrencyRetries)
            {
                continue;
            }

            if (appended.Any(a => a.AlreadyAppended))
            {
                // The same key won a race with us: reload to answer with what it stored.
                continue;
            }

            var after = CaseDecider.Fold(loaded.State, transferring.Events);
            await handler.SnapshotIfDueAsync(loaded.Stream, loaded.Version, appended[0].NextExpectedVersion, after, cancellationToken);
            return new TransferResult.Handled(
                new CaseCommandResult.Accepted(appended[0].NextExpectedVersion, transferring.Events, after) { Attempts = attempt }, prepared.Case);
        }
    }

    /// <summary>The receiving case an answer names: the one its stored <see cref="CaseTransferred"/> records.</summary>
    private static ReceivingCase? ReceivingOf(CaseCommandResult result) =>
        (result switch
        {
            CaseCommandResult.Accepted a => a.Events,
            CaseCommandResult.AlreadyApplied a => a.Events,
            _ => [],
        }).OfType<CaseTransferred>().Select(t => t.ToCaseId is { } id && t.ToNumber is { } number ? new ReceivingCase(id, number) : null).FirstOrDefault();

    /// <summary>
    /// Looks up the receiving agency's catalog and routing, picks the service and team, and draws the receiving case's
    /// number: once per transfer, so a re-decision after a lost race keeps the same receiving case and number.
    /// </summary>
    private async Task<(TransferResult? Result, Receiving? Receiving)> PrepareAsync(
        CommandContext context, CaseTransferRequest request, OpenedCase state, LoadedCase loaded, string receivingPrefix, Instant now,
        ICaseNumberAllocator numbers, CancellationToken cancellationToken)
    {
        var toAgency = request.ToAgency;
        var (catalog, routing) = await reference.LoadIntakeAsync(toAgency, cancellationToken);
        if (catalog.Version == 0)
        {
            return (new TransferResult.UnknownAgency(toAgency), null);
        }

        var service = request.Service ?? state.Service;
        if (catalog.Value.Find(service) is not { } entry)
        {
            return (new TransferResult.UnknownService(toAgency, service, request.Service is not null), null);
        }

        var opened = loaded.Events.Select(e => e.Data).OfType<CaseOpened>().First();
        var route = routing.Value.Route(new RoutingRequest(service, toAgency, opened.Location?.Point));
        // As at intake: a rule routing to yet another agency gives the case no team of its own here.
        var team = route is not null && route.Agency == toAgency ? route.Team : null;
        var series = CaseNumberSeries.At(toAgency, receivingPrefix, now, reference.CalendarFor(toAgency.Value).Zone);
        var number = await numbers.AllocateAsync(series, cancellationToken);
        var receiving = new ReceivingCase(NewCaseId(context.Agency, request.CaseId, context.IdempotencyKey), number);
        var open = new OpenCase(
            receiving.CaseId,
            number,
            toAgency,
            entry,
            opened.Description,
            opened.Citizen,
            opened.Location,
            state.Channel,
            AttributesFor(entry.Definition, opened.Attributes, request.Attributes),
            now,
            state.Priority,
            team,
            new TransferredFrom(state.Agency, state.Id, state.Number));
        return (null, new Receiving(receiving, open));
    }

    /// <summary>
    /// The attributes the receiving case opens with: those of the transferred case that the receiving service asks for
    /// (codes it does not define are the other agency's questions and stay on the transferred case), with the values
    /// the request gives replacing them by code. What remains is checked against the receiving definition by the
    /// opening rules, which refuse naming every attribute that does not fit.
    /// </summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<string>> AttributesFor(
        ServiceDefinition receiving, IReadOnlyDictionary<string, IReadOnlyList<string>> copied, IReadOnlyDictionary<string, IReadOnlyList<string>>? given)
    {
        var asked = receiving.Attributes.Where(a => a.Variable).Select(a => a.Code).ToHashSet(StringComparer.Ordinal);
        var attributes = copied.Where(a => asked.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        foreach (var (code, values) in given ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            attributes[code] = values;
        }

        return attributes;
    }

    private sealed record Receiving(ReceivingCase Case, OpenCase Open);
}
