using EventCase.Cases.Assigning;
using EventCase.Cases.Catalog;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Opening;
using static EventCase.Cases.Tests.Support.CaseFixtures;
using static EventCase.Cases.Tests.Support.CaseSpec;

namespace EventCase.Cases.Tests.Opening;

public sealed class OpenCaseSpecs
{
    [Fact]
    public void Opening_a_new_case_records_it_with_the_services_default_priority_and_sla()
    {
        var state = Given().When(Open()).Then(Opened());

        var opened = Assert.IsType<OpenedCase>(state);
        Assert.Equal(CaseStatus.Open, opened.Status);
        Assert.Equal(Number, opened.Number);
        Assert.Equal(CasePriority.Normal, opened.Priority);
        Assert.Equal(PotholeService.Sla, opened.Sla);
        Assert.Null(opened.Assignment);
    }

    [Fact]
    public void Opening_with_a_routed_team_opens_and_assigns_in_one_decision()
    {
        var state = Given().When(Open(routedTo: Streets, priority: CasePriority.Urgent))
            .Then(Opened() with { Priority = CasePriority.Urgent }, new CaseAssigned(Id, new Assignment(Streets), T0));

        Assert.Equal(CaseStatus.Assigned, state.Status);
    }

    [Fact]
    public void Opening_a_case_that_exists_is_rejected()
    {
        Given(Opened()).When(Open())
            .ThenRejected<CaseAlreadyOpened>("case BOS-2026-000102 is Open; Open needs a case that does not exist yet");
    }

    [Fact]
    public void Opening_with_bad_attributes_reports_every_bad_attribute_not_just_the_first()
    {
        var command = Open() with
        {
            Attributes = Attributes(("size", "huge"), ("depth-cm", "deep"), ("seen-at", "yesterday"), ("colour", "grey")),
        };

        var rejection = Given().When(command).ThenRejected<InvalidServiceAttributes>();

        Assert.Equal(
            [
                ("size", AttributeErrorKind.NotInList),
                ("depth-cm", AttributeErrorKind.NotANumber),
                ("seen-at", AttributeErrorKind.NotADateTime),
                ("colour", AttributeErrorKind.Unknown),
            ],
            rejection.Errors.Select(e => (e.AttributeCode, e.Kind)));
        Assert.Equal(
            "case BOS-2026-000102 is NotOpened; Open needs attributes that match service 'pothole': "
            + "attribute 'size': 'huge' is not one of small, large; attribute 'depth-cm': 'deep' is not a number; "
            + "attribute 'seen-at': 'yesterday' is not an ISO-8601 date or date and time; "
            + "attribute 'colour': service 'pothole' has no such attribute",
            rejection.Message);
    }

    [Fact]
    public void Opening_without_a_required_attribute_is_rejected()
    {
        var rejection = Given().When(Open() with { Attributes = Attributes() }).ThenRejected<InvalidServiceAttributes>();

        var error = Assert.Single(rejection.Errors);
        Assert.Equal("attribute 'size': required by service 'pothole' but missing", error.Message);
    }

    [Fact]
    public void Opening_for_a_retired_service_is_rejected()
    {
        Given().When(Open() with { Service = new CatalogEntry(PotholeService, IsRetired: true) })
            .ThenRejected<ServiceNotOffered>("case BOS-2026-000102 is NotOpened; Open needs a service the catalog offers, and 'pothole' is retired");
    }

    [Fact]
    public void Opening_with_an_impossible_coordinate_is_rejected()
    {
        Given().When(Open() with { Location = new CaseLocation(new GeoPoint(91, 0), null) })
            .ThenRejected<InvalidCommandInput>("case BOS-2026-000102 is NotOpened; Open needs a location with a valid latitude/longitude or an address");
    }

    [Fact]
    public void Opening_with_a_blank_description_is_rejected()
    {
        Given().When(Open() with { Description = "  " })
            .ThenRejected<InvalidCommandInput>("case BOS-2026-000102 is NotOpened; Open needs a description of the request");
    }

    [Fact]
    public void Any_other_command_on_a_case_that_does_not_exist_is_rejected_by_its_id()
    {
        Given().When(new AssignCase(Id, new Assignment(Streets), Now))
            .ThenRejected<CaseNotFound>("case case-102 does not exist; Assign needs an opened case");
    }
}
