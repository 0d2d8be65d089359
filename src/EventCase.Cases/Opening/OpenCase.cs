using EventCase.Cases.Assigning;
using EventCase.Cases.Catalog;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Opening;

/// <summary>Opens a new case for a service request.</summary>
/// <param name="CaseId">The new case's id (stream id), chosen by the caller.</param>
/// <param name="Number">The human-readable number, drawn by the caller from the agency's sequence.</param>
/// <param name="Agency">The agency that will hold the case (usually from routing).</param>
/// <param name="Service">The catalog entry of the requested service, looked up by the caller; attributes are
/// validated against it and its SLA target and default priority are snapshotted onto the case.</param>
/// <param name="Description">What the citizen wrote.</param>
/// <param name="Citizen">Who asked, if known; null for anonymous requests.</param>
/// <param name="Location">Where, if the service is about a place.</param>
/// <param name="Channel">Where the request came in.</param>
/// <param name="Attributes">Attribute code → values, checked against the service definition.</param>
/// <param name="Now">The current instant.</param>
/// <param name="Priority">An explicit priority; null takes the service's default.</param>
/// <param name="RoutedTo">The team routing picked, if any: the case is then assigned to it straight away.</param>
/// <param name="TransferredFrom">The other agency's case this one takes over, when a transfer opens it.</param>
public sealed record OpenCase(
    CaseId CaseId,
    CaseNumber Number,
    AgencyId Agency,
    CatalogEntry Service,
    string Description,
    CitizenContact? Citizen,
    CaseLocation? Location,
    Channel Channel,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes,
    Instant Now,
    CasePriority? Priority = null,
    TeamId? RoutedTo = null,
    TransferredFrom? TransferredFrom = null) : CaseCommand(CaseId, Now)
{
    /// <inheritdoc />
    public override string Action => "Open";
}

/// <summary>A case was opened.</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Number">Its human-readable number.</param>
/// <param name="Agency">The agency holding it.</param>
/// <param name="Service">The service requested.</param>
/// <param name="Description">What the citizen wrote (personal data).</param>
/// <param name="Citizen">Who asked, if known (contact fields are personal data).</param>
/// <param name="Location">Where, if given (the address is personal data).</param>
/// <param name="Channel">Where the request came in.</param>
/// <param name="Attributes">The service attributes given. Personal data: citizens type free text into them.</param>
/// <param name="Priority">The initial priority.</param>
/// <param name="Sla">The SLA target at opening time.</param>
/// <param name="At">When.</param>
/// <param name="TransferredFrom">The other agency's case this one takes over, when a transfer opened it; null for a
/// request that came in here.</param>
[EventType("case.opened.v1")]
public sealed record CaseOpened(
    CaseId CaseId,
    CaseNumber Number,
    AgencyId Agency,
    ServiceCode Service,
    [property: PersonalData] string Description,
    CitizenContact? Citizen,
    CaseLocation? Location,
    Channel Channel,
    [property: PersonalData] IReadOnlyDictionary<string, IReadOnlyList<string>> Attributes,
    CasePriority Priority,
    SlaTarget Sla,
    Instant At,
    TransferredFrom? TransferredFrom = null) : CaseEvent(CaseId, At);

internal static class OpeningRules
{
    public static DecisionResult Decide(OpenCase command)
    {
        var label = command.Number.Value;
        var definition = command.Service.Definition;
        if (command.Service.IsRetired)
        {
            return new ServiceNotOffered(label, definition.Code);
        }

        if (string.IsNullOrWhiteSpace(command.Description))
        {
            return Invalid(command, "Description", "a description of the request");
        }

        if (command.Location is { } location
            && ((location.Point is null && string.IsNullOrWhiteSpace(location.Address)) || location.Point is { IsValid: false }))
        {
            return Invalid(command, "Location", "a location with a valid latitude/longitude or an address");
        }

        if (command.Citizen is { } citizen && string.IsNullOrWhiteSpace(citizen.Reference))
        {
            return Invalid(command, "Citizen", "a citizen reference when citizen details are given");
        }

        var errors = definition.ValidateAttributes(command.Attributes);
        if (errors.Count > 0)
        {
            return new InvalidServiceAttributes(label, definition.Code, errors);
        }

        var opened = new CaseOpened(
            command.CaseId,
            command.Number,
            command.Agency,
            definition.Code,
            command.Description,
            command.Citizen,
            command.Location,
            command.Channel,
            command.Attributes,
            command.Priority ?? definition.DefaultPriority,
            definition.Sla,
            command.Now,
            command.TransferredFrom);
        return command.RoutedTo is { } team
            ? DecisionResult.Accept(opened, new CaseAssigned(command.CaseId, new Assignment(team), command.Now))
            : opened;
    }

    public static OpenedCase Apply(CaseOpened opened) => new()
    {
        Status = CaseStatus.Open,
        Id = opened.CaseId,
        Number = opened.Number,
        Agency = opened.Agency,
        Service = opened.Service,
        Channel = opened.Channel,
        Priority = opened.Priority,
        Sla = opened.Sla,
        OpenedAt = opened.At,
        LastChangedAt = opened.At,
    };

    private static InvalidCommandInput Invalid(OpenCase command, string field, string problem) =>
        new(command.Number.Value, CaseStatus.NotOpened, command.Action, field, problem);
}
