using System.ComponentModel.DataAnnotations;
using EventCase.Cases;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.RecordingContacts;

namespace EventCase.Server.Cases;

/// <summary>Citizen details on an open request.</summary>
/// <param name="Reference">A pseudonymous reference (account or contact id).</param>
/// <param name="Name">Name.</param>
/// <param name="Email">E-mail.</param>
/// <param name="Phone">Phone.</param>
public sealed record CitizenRequest([property: Required] string? Reference, string? Name, string? Email, string? Phone);

/// <summary>A location on an open request.</summary>
/// <param name="Latitude">WGS 84 latitude.</param>
/// <param name="Longitude">WGS 84 longitude.</param>
/// <param name="Address">Street address.</param>
public sealed record LocationRequest(double? Latitude, double? Longitude, string? Address);

/// <summary>Opens a case.</summary>
/// <param name="Service">The service code from the agency's catalog.</param>
/// <param name="Description">What is wrong.</param>
/// <param name="Citizen">Who asks (citizens: always themselves).</param>
/// <param name="Location">Where.</param>
/// <param name="Channel">Where the request came in (default web).</param>
/// <param name="Attributes">Service attribute code → values.</param>
/// <param name="Priority">An explicit priority (staff only).</param>
public sealed record OpenCaseRequest(
    [property: Required] string? Service,
    [property: Required] string? Description,
    CitizenRequest? Citizen,
    LocationRequest? Location,
    Channel? Channel,
    Dictionary<string, string[]>? Attributes,
    CasePriority? Priority);

/// <summary>Assigns to a team and optionally an agent.</summary>
/// <param name="Team">The team.</param>
/// <param name="Agent">The agent.</param>
public sealed record AssignRequest([property: Required] string? Team, string? Agent);

/// <summary>A command whose only input is an optional reason.</summary>
/// <param name="Reason">Why, if the caller says.</param>
public sealed record ReasonRequest(string? Reason);

/// <summary>A command whose only input is a reason, which it needs.</summary>
/// <param name="Reason">Why.</param>
public sealed record RequiredReasonRequest([property: Required] string? Reason);

/// <summary>A command without input.</summary>
public sealed record EmptyRequest;

/// <summary>Asks the citizen for information.</summary>
/// <param name="Question">The question.</param>
/// <param name="Via">How it is asked.</param>
public sealed record RequestInformationRequest([property: Required] string? Question, Channel? Via);

/// <summary>Records the citizen's answer.</summary>
/// <param name="Response">The answer.</param>
/// <param name="Via">How it came in.</param>
public sealed record InformationReceivedRequest([property: Required] string? Response, Channel? Via);

/// <summary>Adds a note.</summary>
/// <param name="Visibility">Internal (default) or public.</param>
/// <param name="Text">The note.</param>
public sealed record AddNoteRequest(NoteVisibility? Visibility, [property: Required] string? Text);

/// <summary>Records a contact with the citizen.</summary>
/// <param name="Direction">Inbound or outbound.</param>
/// <param name="Channel">How.</param>
/// <param name="Summary">What was said.</param>
public sealed record RecordContactRequest([property: Required] ContactDirection? Direction, [property: Required] Channel? Channel, [property: Required] string? Summary);

/// <summary>Escalates or de-escalates.</summary>
/// <param name="ToLevel">The new tier.</param>
/// <param name="Reason">Why.</param>
public sealed record EscalationRequest([property: Required] int? ToLevel, [property: Required] string? Reason);

/// <summary>Changes the priority.</summary>
/// <param name="To">The new priority.</param>
/// <param name="Reason">Why.</param>
public sealed record ChangePriorityRequest([property: Required] CasePriority? To, string? Reason);

/// <summary>Transfers to another agency, which gets a case of its own for the request.</summary>
/// <param name="ToAgency">The receiving agency: one with a service catalog.</param>
/// <param name="Reason">Why.</param>
/// <param name="Service">The receiving agency's service for its case; default the case's own service code, which the
/// receiving catalog must then hold.</param>
/// <param name="Attributes">Attribute values for the receiving service, replacing by code those copied from the case
/// (the copied ones the receiving service does not define are left behind).</param>
public sealed record TransferRequest(
    [property: Required] string? ToAgency,
    [property: Required] string? Reason,
    string? Service = null,
    Dictionary<string, string[]>? Attributes = null);

/// <summary>Resolves.</summary>
/// <param name="ResolutionCode">The code.</param>
/// <param name="PublicSummary">What the citizen is told.</param>
public sealed record ResolveRequest([property: Required] string? ResolutionCode, [property: Required] string? PublicSummary);

/// <summary>Marks as a duplicate.</summary>
/// <param name="OriginalCaseId">The case it duplicates.</param>
public sealed record MarkDuplicateRequest([property: Required] string? OriginalCaseId);

/// <summary>Links a parent or child case.</summary>
/// <param name="CaseId">The other case.</param>
public sealed record LinkRequest([property: Required] string? CaseId);

/// <summary>Records the citizen's feedback.</summary>
/// <param name="Satisfaction">1–5.</param>
/// <param name="Comment">A comment.</param>
public sealed record FeedbackRequest([property: Required] int? Satisfaction, string? Comment);

/// <summary>The answer to an accepted command (and, identically, to its retry with the same Idempotency-Key).</summary>
/// <param name="CaseId">The case.</param>
/// <param name="Number">The case number, when known.</param>
/// <param name="Version">The case's version right after the command (the ETag).</param>
/// <param name="Events">The events the command appended, by type name.</param>
public sealed record CommandResponse(string CaseId, string? Number, long Version, IReadOnlyList<CommandEvent> Events)
{
    /// <summary>The case a transfer opened at the receiving agency, to tell the citizen; absent for other commands.</summary>
    public OtherAgencyCase? ReceivingCase { get; init; }
}

/// <summary>A case of another agency, named across a transfer: the caller cannot read it, only quote it.</summary>
/// <param name="Agency">The agency holding it.</param>
/// <param name="CaseId">Its id in that agency.</param>
/// <param name="Number">Its number, which the citizen can quote to that agency.</param>
public sealed record OtherAgencyCase(string Agency, string CaseId, string Number);

/// <summary>One appended event.</summary>
/// <param name="Type">Its stable type name.</param>
/// <param name="Data">The event.</param>
public sealed record CommandEvent(string Type, System.Text.Json.JsonElement Data);
