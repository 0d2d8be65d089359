using EventCase.Cases.Routing;
using NodaTime;

namespace EventCase.Cases.Tests.Routing;

public sealed class GeoAreaTests
{
    // An L-shaped (concave) ward: the notch at the top right is outside.
    private static readonly GeoArea Ward = GeoArea.PolygonArea(
        "Ward 3",
        new GeoPoint(42.00, -71.10), new GeoPoint(42.00, -71.00), new GeoPoint(42.05, -71.00),
        new GeoPoint(42.05, -71.05), new GeoPoint(42.10, -71.05), new GeoPoint(42.10, -71.10));

    [Theory]
    [InlineData(42.02, -71.02, true)]
    [InlineData(42.08, -71.08, true)]
    [InlineData(42.08, -71.02, false)]
    [InlineData(41.99, -71.05, false)]
    [InlineData(42.03, -71.11, false)]
    public void Ray_casting_tells_inside_from_outside_even_in_a_concave_polygon(double latitude, double longitude, bool inside)
    {
        Assert.Equal(inside, Ward.Contains(new GeoPoint(latitude, longitude)));
    }

    [Fact]
    public void A_bounding_box_contains_its_inside_and_edges_and_may_cross_the_antimeridian()
    {
        var box = GeoArea.Rectangle("Downtown", new BoundingBox(42.35, -71.07, 42.37, -71.05));
        var pacific = new BoundingBox(-20, 170, 10, -170);

        Assert.True(box.Contains(new GeoPoint(42.36, -71.06)));
        Assert.True(box.Contains(new GeoPoint(42.35, -71.07)));
        Assert.False(box.Contains(new GeoPoint(42.38, -71.06)));
        Assert.True(pacific.Contains(new GeoPoint(0, 179)));
        Assert.True(pacific.Contains(new GeoPoint(0, -175)));
        Assert.False(pacific.Contains(new GeoPoint(0, 0)));
    }

    [Fact]
    public void An_area_needs_exactly_one_shape_and_a_polygon_at_least_three_points()
    {
        Assert.Throws<ArgumentException>(() => new GeoArea("Nowhere", null, null));
        Assert.Throws<ArgumentException>(() => GeoArea.PolygonArea("Line", new GeoPoint(0, 0), new GeoPoint(1, 1)));
    }
}

public sealed class RoutingTableTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 1, 5, 12, 0);
    private static readonly AgencyId Boston = new("boston");
    private static readonly AgencyId Parks = new("parks");
    private static readonly ServiceCode Pothole = new("pothole");
    private static readonly ServiceCode Graffiti = new("graffiti");
    private static readonly GeoArea Downtown = GeoArea.Rectangle("Downtown", new BoundingBox(42.35, -71.07, 42.37, -71.05));
    private static readonly GeoPoint InDowntown = new(42.36, -71.06);
    private static readonly GeoPoint Elsewhere = new(42.30, -71.10);

    private static RoutingRule Rule(string id, int priority, GeoArea? area, string team, params ServiceCode[] services) =>
        new(id, priority, services, area, Boston, new TeamId(team));

    private static RoutingTable Table(params RoutingRule[] rules) =>
        RoutingTable.Of(rules, new Dictionary<AgencyId, TeamId> { [Boston] = new("dispatch") });

    [Fact]
    public void The_first_matching_rule_by_priority_wins()
    {
        var table = Table(
            Rule("all-potholes", 10, null, "streets", Pothole),
            Rule("downtown-potholes", 1, Downtown, "streets-downtown", Pothole));

        Assert.Equal(new RouteAssignment(Boston, new TeamId("streets-downtown"), "downtown-potholes"), table.Route(new RoutingRequest(Pothole, Boston, InDowntown)));
        Assert.Equal("all-potholes", table.Route(new RoutingRequest(Pothole, Boston, Elsewhere))!.RuleId);
    }

    [Fact]
    public void Rules_of_equal_priority_are_tried_in_the_order_they_were_added()
    {
        var table = Table(Rule("first", 5, null, "a"), Rule("second", 5, null, "b"));

        Assert.Equal("first", table.Route(new RoutingRequest(Pothole, Boston, null))!.RuleId);
    }

    [Fact]
    public void A_rule_with_an_area_never_matches_a_request_without_a_location()
    {
        var table = Table(Rule("downtown", 1, Downtown, "downtown"));

        var route = table.Route(new RoutingRequest(Pothole, Boston, null))!;

        Assert.True(route.IsDefault);
        Assert.Equal(new TeamId("dispatch"), route.Team);
    }

    [Fact]
    public void Without_a_matching_rule_or_default_route_nothing_is_routed()
    {
        Assert.Null(Table(Rule("potholes", 1, null, "streets", Pothole)).Route(new RoutingRequest(Graffiti, Parks, InDowntown)));
    }

    [Fact]
    public void Routing_changes_are_events_and_the_table_is_their_fold()
    {
        var table = RoutingTable.Empty;
        var history = new List<RoutingEvent>();
        foreach (var command in new RoutingCommand[]
                 {
                     new AddRoutingRule(Rule("a", 5, null, "first", Pothole), Now),
                     new AddRoutingRule(Rule("b", 5, null, "second", Pothole), Now),
                     new ReplaceRoutingRule(Rule("a", 5, Downtown, "first-downtown", Pothole), Now),
                     new SetDefaultRoute(Boston, new TeamId("dispatch"), Now),
                 })
        {
            var decision = RoutingTable.Decide(command, table);
            Assert.True(decision.IsAccepted, decision.Rejection?.Message);
            history.AddRange(decision.Events);
            table = RoutingTable.Fold(history);
        }

        Assert.Equal(["a", "b"], table.RulesInEvaluationOrder.Select(r => r.RuleId));
        Assert.Equal("a", table.Route(new RoutingRequest(Pothole, Boston, InDowntown))!.RuleId);
        Assert.Equal("b", table.Route(new RoutingRequest(Pothole, Boston, Elsewhere))!.RuleId);
        Assert.True(table.Route(new RoutingRequest(Graffiti, Boston, Elsewhere))!.IsDefault);

        var removed = RoutingTable.Evolve(table, new RoutingRuleRemoved("b", Now));
        Assert.True(removed.Route(new RoutingRequest(Pothole, Boston, Elsewhere))!.IsDefault);
    }

    [Fact]
    public void Adding_a_rule_id_twice_or_changing_an_unknown_rule_is_rejected()
    {
        var table = Table(Rule("a", 1, null, "x"));

        Assert.Equal(
            "routing rule 'a' already exists; AddRoutingRule needs a new id (use ReplaceRoutingRule to change it)",
            RoutingTable.Decide(new AddRoutingRule(Rule("a", 2, null, "y"), Now), table).Rejection!.Message);
        Assert.Equal(RoutingRejectionKind.AlreadyExists, RoutingTable.Decide(new AddRoutingRule(Rule("a", 2, null, "y"), Now), table).Rejection!.Kind);
        Assert.Equal(RoutingRejectionKind.UnknownRule, RoutingTable.Decide(new ReplaceRoutingRule(Rule("z", 1, null, "y"), Now), table).Rejection!.Kind);
        Assert.Equal(RoutingRejectionKind.UnknownRule, RoutingTable.Decide(new RemoveRoutingRule("z", Now), table).Rejection!.Kind);
        Assert.Empty(RoutingTable.Decide(new SetDefaultRoute(Boston, new TeamId("dispatch"), Now), table).Events);
    }
}
