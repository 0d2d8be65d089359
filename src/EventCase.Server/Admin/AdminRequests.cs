using System.ComponentModel.DataAnnotations;
using EventCase.Cases;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Routing;

namespace EventCase.Server.Admin;

/// <summary>A list value of a service attribute.</summary>
/// <param name="Key">The stored key.</param>
/// <param name="Name">The label.</param>
public sealed record AttributeValueRequest([property: Required] string? Key, [property: Required] string? Name);

/// <summary>A service attribute (an Open311 attribute definition).</summary>
/// <param name="Code">The attribute code.</param>
/// <param name="Datatype">string, number, datetime, text, singleValueList, multiValueList.</param>
/// <param name="Required">Whether a value is required.</param>
/// <param name="Description">The question.</param>
/// <param name="Order">Display order.</param>
/// <param name="Values">List values.</param>
/// <param name="Variable">False for information-only attributes.</param>
public sealed record ServiceAttributeRequest([property: Required] string? Code, [property: Required] AttributeDatatype? Datatype, bool? Required, [property: Required] string? Description, int? Order, AttributeValueRequest[]? Values, bool? Variable);

/// <summary>Defines a new service of the caller's agency.</summary>
/// <param name="Code">The service code.</param>
/// <param name="Name">The name.</param>
/// <param name="Description">The description.</param>
/// <param name="DefaultPriority">The default priority.</param>
/// <param name="SlaHours">SLA target in business hours (or give slaCalendarDays).</param>
/// <param name="SlaCalendarDays">SLA target in calendar days.</param>
/// <param name="Attributes">Attributes.</param>
/// <param name="Group">Open311 group.</param>
/// <param name="Keywords">Open311 keywords.</param>
public sealed record NewServiceRequest(
    [property: Required] string? Code, [property: Required] string? Name, string? Description, CasePriority? DefaultPriority, int? SlaHours, int? SlaCalendarDays,
    ServiceAttributeRequest[]? Attributes, string? Group, string[]? Keywords)
{
    /// <summary>The same definition as an update's body, which the validation reads.</summary>
    internal ServiceRequest Definition => new(Code, Name, Description, DefaultPriority, SlaHours, SlaCalendarDays, Attributes, Group, Keywords);
}

/// <summary>Changes the definition of a service of the caller's agency (the service named in the path).</summary>
/// <param name="Code">The service code: taken from the path; when given, it must be the same.</param>
/// <param name="Name">The name.</param>
/// <param name="Description">The description.</param>
/// <param name="DefaultPriority">The default priority.</param>
/// <param name="SlaHours">SLA target in business hours (or give slaCalendarDays).</param>
/// <param name="SlaCalendarDays">SLA target in calendar days.</param>
/// <param name="Attributes">Attributes.</param>
/// <param name="Group">Open311 group.</param>
/// <param name="Keywords">Open311 keywords.</param>
public sealed record ServiceRequest(
    string? Code, [property: Required] string? Name, string? Description, CasePriority? DefaultPriority, int? SlaHours, int? SlaCalendarDays,
    ServiceAttributeRequest[]? Attributes, string? Group, string[]? Keywords);

/// <summary>Retires a service.</summary>
/// <param name="Reason">Why.</param>
public sealed record RetireServiceRequest([property: Required] string? Reason);

/// <summary>A rectangle on the map.</summary>
/// <param name="Name">The area's name.</param>
/// <param name="South">Southern latitude.</param>
/// <param name="West">Western longitude.</param>
/// <param name="North">Northern latitude.</param>
/// <param name="East">Eastern longitude.</param>
public sealed record AreaRequest([property: Required] string? Name, [property: Required] double? South, [property: Required] double? West, [property: Required] double? North, [property: Required] double? East);

/// <summary>A new routing rule of the caller's agency.</summary>
/// <param name="RuleId">The rule id.</param>
/// <param name="Priority">Lower is evaluated first.</param>
/// <param name="Services">Services it applies to (empty = all).</param>
/// <param name="Area">The area it applies to (none = everywhere).</param>
/// <param name="Team">The team cases go to.</param>
public sealed record NewRoutingRuleRequest([property: Required] string? RuleId, int? Priority, string[]? Services, AreaRequest? Area, [property: Required] string? Team)
{
    /// <summary>The same rule as a replacement's body, which the validation reads.</summary>
    internal RoutingRuleRequest Rule => new(RuleId, Priority, Services, Area, Team);
}

/// <summary>A routing rule of the caller's agency that replaces the rule named in the path.</summary>
/// <param name="RuleId">The rule id: taken from the path; when given, it must be the same.</param>
/// <param name="Priority">Lower is evaluated first.</param>
/// <param name="Services">Services it applies to (empty = all).</param>
/// <param name="Area">The area it applies to (none = everywhere).</param>
/// <param name="Team">The team cases go to.</param>
public sealed record RoutingRuleRequest(string? RuleId, int? Priority, string[]? Services, AreaRequest? Area, [property: Required] string? Team);

/// <summary>The agency's default team.</summary>
/// <param name="Team">The team.</param>
public sealed record DefaultRouteRequest([property: Required] string? Team);

/// <summary>The catalog of an agency.</summary>
/// <param name="Version">The catalog stream version (the ETag).</param>
/// <param name="Services">Every service, retired ones flagged.</param>
public sealed record CatalogView(long Version, IReadOnlyList<CatalogEntry> Services);

/// <summary>The routing table of an agency.</summary>
/// <param name="Version">The routing stream version (the ETag).</param>
/// <param name="Rules">Rules in evaluation order.</param>
/// <param name="DefaultTeam">The default team, if set.</param>
public sealed record RoutingView(long Version, IReadOnlyList<RoutingRule> Rules, TeamId? DefaultTeam);

/// <summary>The calendar of an agency.</summary>
/// <param name="Version">The calendar stream version (the ETag); 0 while the default calendar applies.</param>
/// <param name="Calendar">The calendar.</param>
public sealed record CalendarView(long Version, CalendarDefinition Calendar);
