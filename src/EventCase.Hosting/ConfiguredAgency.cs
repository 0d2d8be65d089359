using EventCase.Cases;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.Numbering;
using EventCase.Cases.Routing;
using EventCase.EventStore.Schema;

namespace EventCase.Hosting;

/// <summary>An agency of the host as checked at start-up: domain values, no longer strings. Immutable.</summary>
/// <param name="Id">The agency id.</param>
/// <param name="CaseNumberPrefix">The prefix of its case numbers.</param>
/// <param name="Calendar">Its calendar as configured.</param>
/// <param name="BusinessCalendar">Its calendar, built.</param>
/// <param name="Services">Its catalog.</param>
/// <param name="DefaultTeam">The team of cases no rule routes, if any.</param>
/// <param name="RoutingRules">Its routing rules.</param>
public sealed record ConfiguredAgency(
    AgencyId Id,
    string CaseNumberPrefix,
    CalendarDefinition Calendar,
    BusinessCalendar BusinessCalendar,
    IReadOnlyList<ServiceDefinition> Services,
    TeamId? DefaultTeam,
    IReadOnlyList<RoutingRule> RoutingRules)
{
    /// <summary>
    /// Turns options into agencies, collecting every problem (not just the first) as a sentence that names the agency
    /// and the setting, so that one start-up shows everything to fix.
    /// </summary>
    internal static (IReadOnlyList<ConfiguredAgency> Agencies, IReadOnlyList<string> Problems) FromOptions(EventCaseOptions options)
    {
        var problems = new List<string>();
        var agencies = new List<ConfiguredAgency>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString) && options.ConnectionString is { Length: > 0 })
        {
            problems.Add("ConnectionString is blank; leave it null for the embedded PostgreSQL or give a connection string.");
        }

        if (string.IsNullOrEmpty(options.Schema) || !options.Schema.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') || char.IsAsciiDigit(options.Schema[0]))
        {
            problems.Add($"Schema '{options.Schema}' is not a plain schema name: use lower-case letters, digits and underscores, starting with a letter.");
        }
        else if (SchemaMigrator.IsReservedKeyword(options.Schema))
        {
            problems.Add($"Schema '{options.Schema}' is a reserved SQL key word in PostgreSQL and cannot name a schema unquoted: choose another name.");
        }

        if (options.Agencies.Count == 0)
        {
            problems.Add("No agency is configured: add at least one with options.AddAgency(\"id\", agency => ...).");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Agencies.Count; i++)
        {
            var agency = options.Agencies[i];
            if (agency is null)
            {
                problems.Add($"Agencies[{i}] is null.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(agency.Id))
            {
                problems.Add($"Agencies[{i}] has no id: every agency needs one (the tenant of its cases).");
                continue;
            }

            if (!seen.Add(agency.Id))
            {
                problems.Add($"Agency '{agency.Id}' is configured more than once: agency ids must be unique.");
                continue;
            }

            if (FromOptions(agency, problems) is { } configured)
            {
                agencies.Add(configured);
            }
        }

        return (agencies, problems);
    }

    private static ConfiguredAgency? FromOptions(AgencyOptions options, List<string> problems)
    {
        var before = problems.Count;
        var label = $"Agency '{options.Id}'";
        var id = Try(() => new AgencyId(options.Id!), label + ": its id", problems);
        if (id is null)
        {
            return null;
        }

        var prefix = options.CaseNumberPrefix ?? CaseNumberSeries.DefaultPrefix(id);
        _ = Try(() => new CaseNumberSeries(id, prefix, 2000), $"{label}: CaseNumberPrefix '{prefix}'", problems);

        var calendar = options.Calendar ?? CalendarDefinition.Default;
        var (businessCalendar, calendarProblem) = calendar.TryBuild();
        if (calendarProblem is not null)
        {
            problems.Add($"{label}: its Calendar cannot be used: {calendarProblem}.");
        }

        var services = new List<ServiceDefinition>();
        if (options.Services.Count == 0)
        {
            problems.Add($"{label} has no services: its catalog needs at least one (agency.AddService(...)).");
        }

        foreach (var service in options.Services)
        {
            var code = Try(() => new ServiceCode(service.Code!), $"{label}: service code '{service.Code}'", problems);
            if (code is null)
            {
                continue;
            }

            if (services.Any(s => s.Code == code))
            {
                problems.Add($"{label}: service '{code}' is defined more than once: service codes must be unique in a catalog.");
                continue;
            }

            if (service.Sla is null)
            {
                problems.Add($"{label}: service '{code}' has no Sla target (e.g. SlaTarget.BusinessHours(40)).");
                continue;
            }

            var definition = new ServiceDefinition(code, service.Name ?? "", service.Description, id, service.Priority, service.Sla, [.. service.Attributes], service.Group);
            problems.AddRange(definition.DefinitionProblems().Select(p => $"{label}: {p}."));
            services.Add(definition);
        }

        var defaultTeam = options.DefaultTeam is null ? null : Try(() => new TeamId(options.DefaultTeam), $"{label}: DefaultTeam '{options.DefaultTeam}'", problems);
        var rules = new List<RoutingRule>();
        foreach (var rule in options.RoutingRules)
        {
            if (string.IsNullOrWhiteSpace(rule.Id))
            {
                problems.Add($"{label}: a routing rule has no id.");
                continue;
            }

            if (rules.Any(r => r.RuleId == rule.Id))
            {
                problems.Add($"{label}: routing rule '{rule.Id}' is defined more than once: rule ids must be unique.");
                continue;
            }

            var team = Try(() => new TeamId(rule.Team!), $"{label}: the team '{rule.Team}' of routing rule '{rule.Id}'", problems);
            var codes = new List<ServiceCode>();
            foreach (var service in rule.Services ?? [])
            {
                if (services.FirstOrDefault(s => s.Code.Value == service) is { } known)
                {
                    codes.Add(known.Code);
                }
                else
                {
                    problems.Add($"{label}: routing rule '{rule.Id}' names service '{service}', which is not in the agency's catalog.");
                }
            }

            if (team is not null)
            {
                rules.Add(new RoutingRule(rule.Id, rule.Priority, codes, rule.Area, id, team));
            }
        }

        return problems.Count > before
            ? null
            : new ConfiguredAgency(id, prefix, calendar, businessCalendar!, services, defaultTeam, rules);
    }

    private static T? Try<T>(Func<T> create, string what, List<string> problems)
        where T : class
    {
        try
        {
            return create();
        }
        catch (ArgumentException e)
        {
            problems.Add($"{what} is not valid: {e.Message}");
            return null;
        }
    }
}
