using EventCase.Cases;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using NodaTime;

namespace EventCase.Hosting;

/// <summary>
/// One agency a host serves: its service catalog, routing rules, business calendar and case number prefix. At start-up
/// the host brings the agency's stored reference data (its <c>$catalog</c>, <c>$routing</c> and <c>$calendar</c>
/// streams) in line with this configuration, recording each difference as an event, so the history of the
/// configuration is kept like everything else. Services dropped from the configuration are retired, not deleted.
/// </summary>
public sealed class AgencyOptions
{
    /// <summary>The agency id (tenant of every stream and read-model row): lower-case letters, digits and dashes.</summary>
    public string? Id { get; set; }

    /// <summary>
    /// The prefix of the agency's case numbers (<c>SPR</c> in <c>SPR-2026-000001</c>): 2–8 upper-case letters or digits,
    /// starting with a letter. Null derives it from the id (see <see cref="EventCase.Cases.Numbering.CaseNumberSeries.DefaultPrefix"/>).
    /// </summary>
    public string? CaseNumberPrefix { get; set; }

    /// <summary>The business calendar SLA clocks count in; null for UTC weekdays 08:00–17:00 (<see cref="CalendarDefinition.Default"/>).</summary>
    public CalendarDefinition? Calendar { get; set; }

    /// <summary>The services of the agency's catalog. At least one; codes unique.</summary>
    public IList<ServiceOptions> Services { get; } = [];

    /// <summary>The team a case goes to when no routing rule matches; null leaves such cases unassigned.</summary>
    public string? DefaultTeam { get; set; }

    /// <summary>Routing rules: which team gets which services in which area. Ids unique.</summary>
    public IList<RoutingRuleOptions> RoutingRules { get; } = [];

    /// <summary>Adds a service to the catalog.</summary>
    /// <param name="code">The service code (lower-case letters, digits and dashes), unique in the catalog.</param>
    /// <param name="name">The name citizens see.</param>
    /// <param name="description">What the service is for.</param>
    /// <param name="sla">The SLA target of a case for it, e.g. <c>SlaTarget.BusinessHours(40)</c>.</param>
    /// <param name="priority">The priority a new case gets unless the request says otherwise.</param>
    /// <param name="group">The catalog group, if any.</param>
    /// <returns>These options, for chaining.</returns>
    public AgencyOptions AddService(string code, string name, string description, SlaTarget sla, CasePriority priority = CasePriority.Normal, string? group = null)
    {
        Services.Add(new ServiceOptions { Code = code, Name = name, Description = description, Sla = sla, Priority = priority, Group = group });
        return this;
    }

    /// <summary>Adds a routing rule: requests for <paramref name="services"/> (all when empty) in <paramref name="area"/> (anywhere when null) go to <paramref name="team"/>.</summary>
    /// <param name="ruleId">The rule's id, unique in the agency.</param>
    /// <param name="team">The team that gets the cases.</param>
    /// <param name="area">Where the rule applies (<see cref="GeoArea.Rectangle"/> or <see cref="GeoArea.PolygonArea"/>), or null for anywhere.</param>
    /// <param name="services">The service codes it applies to; none for all.</param>
    /// <returns>These options, for chaining.</returns>
    public AgencyOptions AddRoutingRule(string ruleId, string team, GeoArea? area, params IReadOnlyList<string> services)
    {
        RoutingRules.Add(new RoutingRuleOptions { Id = ruleId, Team = team, Area = area, Services = services, Priority = (RoutingRules.Count + 1) * 10 });
        return this;
    }

    /// <summary>Sets a weekday calendar: Monday to Friday, <paramref name="opens"/> to <paramref name="closes"/> local time, without <paramref name="holidays"/>.</summary>
    /// <param name="zone">The IANA time zone id, e.g. <c>America/Chicago</c>.</param>
    /// <param name="opens">Local opening time.</param>
    /// <param name="closes">Local closing time.</param>
    /// <param name="holidays">Dates without working time.</param>
    /// <returns>These options, for chaining.</returns>
    public AgencyOptions UseWeekdayCalendar(string zone, LocalTime opens, LocalTime closes, params IReadOnlyList<LocalDate> holidays)
    {
        Calendar = new CalendarDefinition(
            zone, [.. Enumerable.Range(1, 5).Select(d => new CalendarHours((IsoDayOfWeek)d, opens, closes))], holidays);
        return this;
    }
}

/// <summary>A service of an agency's catalog (an Open311 service).</summary>
public sealed class ServiceOptions
{
    /// <summary>The service code: lower-case letters, digits and dashes, unique in the catalog.</summary>
    public string? Code { get; set; }

    /// <summary>The name citizens see ("Pothole").</summary>
    public string? Name { get; set; }

    /// <summary>What the service is for.</summary>
    public string Description { get; set; } = "";

    /// <summary>The priority a new case gets unless the request says otherwise.</summary>
    public CasePriority Priority { get; set; } = CasePriority.Normal;

    /// <summary>The SLA target of a case for this service.</summary>
    public SlaTarget? Sla { get; set; }

    /// <summary>The catalog group ("Streets"), if any.</summary>
    public string? Group { get; set; }

    /// <summary>The attributes a request carries (the Open311 service definition); none by default.</summary>
    public IList<ServiceAttribute> Attributes { get; } = [];
}

/// <summary>A routing rule of an agency: requests for some services in some area go to a team of the agency.</summary>
public sealed class RoutingRuleOptions
{
    /// <summary>The rule's id, unique in the agency.</summary>
    public string? Id { get; set; }

    /// <summary>Lower numbers are tried first.</summary>
    public int Priority { get; set; } = 100;

    /// <summary>The service codes it applies to; empty for all.</summary>
    public IReadOnlyList<string> Services { get; set; } = [];

    /// <summary>Where it applies; null for anywhere.</summary>
    public GeoArea? Area { get; set; }

    /// <summary>The team that gets the cases.</summary>
    public string? Team { get; set; }
}
