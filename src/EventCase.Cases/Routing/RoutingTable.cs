using System.Text.Json.Serialization;
using EventCase.EventStore.Serialization;
using NodaTime;

namespace EventCase.Cases.Routing;

/// <summary>
/// A routing rule: requests for any of <see cref="Services"/> (all services when empty) located in
/// <see cref="Area"/> (anywhere when null) go to <see cref="Agency"/> and <see cref="Team"/>.
/// </summary>
/// <param name="RuleId">The rule's id, unique in the table.</param>
/// <param name="Priority">Lower numbers are tried first; equal priorities go in the order the rules were added.</param>
/// <param name="Services">The services it applies to; empty for all.</param>
/// <param name="Area">Where it applies; null for anywhere (a rule with an area never matches a request without a location).</param>
/// <param name="Agency">The agency that gets the case.</param>
/// <param name="Team">The team that gets the case.</param>
public sealed record RoutingRule(string RuleId, int Priority, IReadOnlyList<ServiceCode> Services, GeoArea? Area, AgencyId Agency, TeamId Team)
{
    /// <summary>True when the rule applies to <paramref name="request"/>.</summary>
    public bool Matches(RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Services.Count > 0 && !Services.Contains(request.Service))
        {
            return false;
        }

        return Area is null || (request.Location is { } point && Area.Contains(point));
    }
}

/// <summary>What routing is asked to place.</summary>
/// <param name="Service">The requested service.</param>
/// <param name="OwningAgency">The agency owning the service in the catalog; its default route applies when no rule matches.</param>
/// <param name="Location">Where, if known.</param>
public sealed record RoutingRequest(ServiceCode Service, AgencyId OwningAgency, GeoPoint? Location);

/// <summary>Where routing placed a request.</summary>
/// <param name="Agency">The agency.</param>
/// <param name="Team">The team.</param>
/// <param name="RuleId">The rule that matched, or null when the agency's default route was used.</param>
public sealed record RouteAssignment(AgencyId Agency, TeamId Team, string? RuleId)
{
    /// <summary>True when no rule matched and the owning agency's default route applied. Derived, so not serialized.</summary>
    [JsonIgnore]
    public bool IsDefault => RuleId is null;
}

/// <summary>Something that happened to the routing table.</summary>
/// <param name="At">When.</param>
public abstract record RoutingEvent(Instant At);

/// <summary>A rule was added after the existing ones.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="At">When.</param>
[EventType("routing.rule-added.v1")]
public sealed record RoutingRuleAdded(RoutingRule Rule, Instant At) : RoutingEvent(At);

/// <summary>A rule was replaced in place (it keeps its position among equal priorities).</summary>
/// <param name="Rule">The new version of the rule.</param>
/// <param name="At">When.</param>
[EventType("routing.rule-replaced.v1")]
public sealed record RoutingRuleReplaced(RoutingRule Rule, Instant At) : RoutingEvent(At);

/// <summary>A rule was removed.</summary>
/// <param name="RuleId">The rule's id.</param>
/// <param name="At">When.</param>
[EventType("routing.rule-removed.v1")]
public sealed record RoutingRuleRemoved(string RuleId, Instant At) : RoutingEvent(At);

/// <summary>An agency's default route was set: where its requests go when no rule matches.</summary>
/// <param name="Agency">The agency.</param>
/// <param name="Team">Its default team.</param>
/// <param name="At">When.</param>
[EventType("routing.default-route-set.v1")]
public sealed record DefaultRouteSet(AgencyId Agency, TeamId Team, Instant At) : RoutingEvent(At);

/// <summary>A request to change the routing table.</summary>
/// <param name="Now">The current instant.</param>
public abstract record RoutingCommand(Instant Now);

/// <summary>Adds a rule.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="Now">The current instant.</param>
public sealed record AddRoutingRule(RoutingRule Rule, Instant Now) : RoutingCommand(Now);

/// <summary>Replaces a rule with the same id.</summary>
/// <param name="Rule">The new version.</param>
/// <param name="Now">The current instant.</param>
public sealed record ReplaceRoutingRule(RoutingRule Rule, Instant Now) : RoutingCommand(Now);

/// <summary>Removes a rule.</summary>
/// <param name="RuleId">The rule's id.</param>
/// <param name="Now">The current instant.</param>
public sealed record RemoveRoutingRule(string RuleId, Instant Now) : RoutingCommand(Now);

/// <summary>Sets an agency's default route.</summary>
/// <param name="Agency">The agency.</param>
/// <param name="Team">Its default team.</param>
/// <param name="Now">The current instant.</param>
public sealed record SetDefaultRoute(AgencyId Agency, TeamId Team, Instant Now) : RoutingCommand(Now);

/// <summary>Why a routing command was refused.</summary>
public enum RoutingRejectionKind
{
    /// <summary>A rule needs an id.</summary>
    MissingRuleId,

    /// <summary>A rule with that id exists already.</summary>
    AlreadyExists,

    /// <summary>No rule has that id.</summary>
    UnknownRule,
}

/// <summary>A refused routing command.</summary>
/// <param name="Kind">Why, as a value (what an API maps to a status code).</param>
/// <param name="Message">The rule, in plain words.</param>
public sealed record RoutingRejection(RoutingRejectionKind Kind, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}

/// <summary>The outcome of <see cref="RoutingTable.Decide"/>.</summary>
public sealed class RoutingDecision : Decision<RoutingEvent, RoutingRejection>
{
    private RoutingDecision(IReadOnlyList<RoutingEvent> events)
        : base(events)
    {
    }

    private RoutingDecision(RoutingRejection rejection)
        : base(rejection)
    {
    }

    /// <summary>Accepted with these events.</summary>
    public static RoutingDecision Accept(params RoutingEvent[] events) => new(events);

    /// <summary>Refused.</summary>
    public static RoutingDecision Reject(RoutingRejectionKind kind, string message) => new(new RoutingRejection(kind, message));
}

/// <summary>
/// The routing table: ordered rules plus a default route per agency, folded from routing events so that it can change
/// at run time. <see cref="Route"/> is deterministic: rules are tried by ascending priority, then in the order they
/// were added; the first that matches wins; otherwise the owning agency's default route applies. Immutable and thread
/// safe; the rule order is computed once per table version.
/// </summary>
public sealed record RoutingTable
{
    private readonly IReadOnlyList<RoutingRule> _ordered;

    private RoutingTable(IReadOnlyList<RoutingRule> rulesInInsertionOrder, IReadOnlyDictionary<AgencyId, TeamId> defaults)
    {
        Rules = rulesInInsertionOrder;
        Defaults = defaults;

        // OrderBy is stable, so equal priorities keep insertion order.
        _ordered = [.. rulesInInsertionOrder.OrderBy(r => r.Priority)];
    }

    /// <summary>The empty table.</summary>
    public static RoutingTable Empty { get; } = new([], new Dictionary<AgencyId, TeamId>());

    /// <summary>The rules in the order they were added.</summary>
    public IReadOnlyList<RoutingRule> Rules { get; }

    /// <summary>The rules in the order they are tried.</summary>
    public IReadOnlyList<RoutingRule> RulesInEvaluationOrder => _ordered;

    /// <summary>Default team per agency.</summary>
    public IReadOnlyDictionary<AgencyId, TeamId> Defaults { get; }

    /// <summary>A table built directly from rules and defaults (for tests and fixed configurations).</summary>
    public static RoutingTable Of(IEnumerable<RoutingRule> rules, IReadOnlyDictionary<AgencyId, TeamId>? defaults = null) =>
        new([.. rules], defaults ?? new Dictionary<AgencyId, TeamId>());

    /// <summary>Routes a request; null when no rule matches and the owning agency has no default route.</summary>
    public RouteAssignment? Route(RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (var rule in _ordered)
        {
            if (rule.Matches(request))
            {
                return new RouteAssignment(rule.Agency, rule.Team, rule.RuleId);
            }
        }

        return Defaults.TryGetValue(request.OwningAgency, out var team) ? new RouteAssignment(request.OwningAgency, team, null) : null;
    }

    /// <summary>Folds events, oldest first, from <see cref="Empty"/>.</summary>
    public static RoutingTable Fold(IEnumerable<RoutingEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return events.Aggregate(Empty, Evolve);
    }

    /// <summary>Applies one event.</summary>
    public static RoutingTable Evolve(RoutingTable table, RoutingEvent @event)
    {
        ArgumentNullException.ThrowIfNull(table);
        return @event switch
        {
            RoutingRuleAdded e => new RoutingTable([.. table.Rules.Where(r => r.RuleId != e.Rule.RuleId), e.Rule], table.Defaults),
            RoutingRuleReplaced e => new RoutingTable([.. table.Rules.Select(r => r.RuleId == e.Rule.RuleId ? e.Rule : r)], table.Defaults),
            RoutingRuleRemoved e => new RoutingTable([.. table.Rules.Where(r => r.RuleId != e.RuleId)], table.Defaults),
            DefaultRouteSet e => new RoutingTable(table.Rules, new Dictionary<AgencyId, TeamId>(table.Defaults) { [e.Agency] = e.Team }),
            _ => table,
        };
    }

    /// <summary>Decides a routing command. Pure.</summary>
    public static RoutingDecision Decide(RoutingCommand command, RoutingTable table)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(table);
        bool Exists(string id) => table.Rules.Any(r => r.RuleId == id);
        return command switch
        {
            AddRoutingRule c when string.IsNullOrWhiteSpace(c.Rule.RuleId) => RoutingDecision.Reject(RoutingRejectionKind.MissingRuleId, "AddRoutingRule needs a rule id"),
            AddRoutingRule c when Exists(c.Rule.RuleId) => RoutingDecision.Reject(RoutingRejectionKind.AlreadyExists, $"routing rule '{c.Rule.RuleId}' already exists; AddRoutingRule needs a new id (use ReplaceRoutingRule to change it)"),
            AddRoutingRule c => RoutingDecision.Accept(new RoutingRuleAdded(c.Rule, c.Now)),
            ReplaceRoutingRule c when !Exists(c.Rule.RuleId) => RoutingDecision.Reject(RoutingRejectionKind.UnknownRule, $"routing rule '{c.Rule.RuleId}' does not exist; ReplaceRoutingRule needs an existing rule"),
            ReplaceRoutingRule c => RoutingDecision.Accept(new RoutingRuleReplaced(c.Rule, c.Now)),
            RemoveRoutingRule c when !Exists(c.RuleId) => RoutingDecision.Reject(RoutingRejectionKind.UnknownRule, $"routing rule '{c.RuleId}' does not exist; RemoveRoutingRule needs an existing rule"),
            RemoveRoutingRule c => RoutingDecision.Accept(new RoutingRuleRemoved(c.RuleId, c.Now)),
            SetDefaultRoute c when table.Defaults.TryGetValue(c.Agency, out var team) && team == c.Team => RoutingDecision.Accept(),
            SetDefaultRoute c => RoutingDecision.Accept(new DefaultRouteSet(c.Agency, c.Team, c.Now)),
            _ => throw new ArgumentException($"{command.GetType().Name} is not a routing command.", nameof(command)),
        };
    }

    /// <summary>Every routing event type, for registering with the event store.</summary>
    public static IReadOnlyList<Type> EventTypes { get; } =
        [typeof(RoutingRuleAdded), typeof(RoutingRuleReplaced), typeof(RoutingRuleRemoved), typeof(DefaultRouteSet)];
}
