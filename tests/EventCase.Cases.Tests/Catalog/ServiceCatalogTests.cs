using EventCase.Cases.Catalog;
using EventCase.Cases.Sla;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Catalog;

public sealed class ServiceCatalogTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 1, 5, 12, 0);

    private static ServiceCatalog After(params CatalogCommand[] commands)
    {
        var catalog = ServiceCatalog.Empty;
        var history = new List<CatalogEvent>();
        foreach (var command in commands)
        {
            var decision = ServiceCatalog.Decide(command, catalog);
            Assert.True(decision.IsAccepted, decision.Rejection?.Message);
            history.AddRange(decision.Events);
            catalog = ServiceCatalog.Fold(history);
        }

        return catalog;
    }

    [Fact]
    public void Defining_updating_retiring_and_reinstating_a_service_are_events_the_catalog_folds()
    {
        var faster = PotholeService with { Sla = SlaTarget.BusinessHours(8) };

        var retired = After(new DefineService(PotholeService, Now), new UpdateService(faster, Now), new RetireService(Pothole, "Merged into road defects", Now));
        var reinstated = After(new DefineService(PotholeService, Now), new RetireService(Pothole, "Merged", Now), new ReinstateService(Pothole, Now));

        Assert.Equal(new CatalogEntry(faster, IsRetired: true), retired.Find(Pothole));
        Assert.Empty(retired.Offered);
        Assert.False(reinstated.Find(Pothole)!.IsRetired);
        Assert.Equal([PotholeService], reinstated.Offered);
    }

    [Fact]
    public void Defining_a_code_twice_is_rejected()
    {
        var decision = ServiceCatalog.Decide(new DefineService(PotholeService, Now), After(new DefineService(PotholeService, Now)));

        Assert.Equal(CatalogRejectionKind.AlreadyDefined, decision.Rejection!.Kind);
        Assert.Equal("service 'pothole' is already in the catalog; DefineService needs a new code (use UpdateService to change it)", decision.Rejection.Message);
    }

    [Fact]
    public void Updating_a_retired_or_unknown_service_is_rejected()
    {
        var retired = After(new DefineService(PotholeService, Now), new RetireService(Pothole, "Gone", Now));

        Assert.Equal(CatalogRejectionKind.Retired, ServiceCatalog.Decide(new UpdateService(PotholeService, Now), retired).Rejection!.Kind);
        Assert.Equal(CatalogRejectionKind.UnknownService, ServiceCatalog.Decide(new UpdateService(PotholeService, Now), ServiceCatalog.Empty).Rejection!.Kind);
        Assert.Equal(CatalogRejectionKind.NotRetired, ServiceCatalog.Decide(new ReinstateService(Pothole, Now), After(new DefineService(PotholeService, Now))).Rejection!.Kind);
    }

    [Fact]
    public void An_inconsistent_definition_is_rejected_with_every_problem_named()
    {
        var broken = PotholeService with
        {
            Attributes =
            [
                new ServiceAttribute("size", AttributeDatatype.SingleValueList, true, "How big?", 1, []),
                new ServiceAttribute("depth", AttributeDatatype.Number, false, "How deep?", 2, [new AttributeValue("1", "one")]),
                new ServiceAttribute("depth", AttributeDatatype.Number, false, "How deep?", 3, []),
            ],
        };

        var rejection = ServiceCatalog.Decide(new DefineService(broken, Now), ServiceCatalog.Empty).Rejection!;

        Assert.Equal(CatalogRejectionKind.InvalidDefinition, rejection.Kind);
        Assert.Equal(
            "service 'pothole' has an invalid definition: service 'pothole' defines attribute 'depth' 2 times; "
            + "attribute 'size' of service 'pothole' is a SingleValueList but has no values; "
            + "attribute 'depth' of service 'pothole' is a Number and cannot have list values",
            rejection.Message);
        Assert.Equal(
            [("attributes[1].code", "service 'pothole' defines attribute 'depth' 2 times"), ("attributes[2].code", "service 'pothole' defines attribute 'depth' 2 times"),
             ("attributes[0].values", "attribute 'size' of service 'pothole' is a SingleValueList but has no values"),
             ("attributes[1].values", "attribute 'depth' of service 'pothole' is a Number and cannot have list values")],
            rejection.Problems.Select(p => (p.Field, p.Message)));
    }

    [Fact]
    public void A_list_key_given_twice_is_named_at_each_of_its_values_and_a_retirement_without_a_reason_at_reason()
    {
        var twice = PotholeService with
        {
            Attributes = [new ServiceAttribute("size", AttributeDatatype.SingleValueList, true, "How big?", 1, [new AttributeValue("s", "Small"), new AttributeValue("m", "Mid"), new AttributeValue("s", "Small again")])],
        };

        Assert.Equal(["attributes[0].values[0].key", "attributes[0].values[2].key"], twice.FindProblems().Select(p => p.Field));
        var retire = ServiceCatalog.Decide(new RetireService(Pothole, " ", Now), After(new DefineService(PotholeService, Now))).Rejection!;
        Assert.Equal("reason", Assert.Single(retire.Problems).Field);
    }
}

public sealed class ServiceAttributeValidationTests
{
    private static IReadOnlyList<AttributeError> Validate(params (string Code, string Value)[] values) =>
        PotholeService.ValidateAttributes(Attributes(values));

    [Fact]
    public void A_request_with_valid_values_of_every_datatype_passes()
    {
        Assert.Empty(Validate(
            ("size", "small"), ("depth-cm", "12.5"), ("seen-at", "2026-03-08T09:30:00-05:00"),
            ("hazards", "water"), ("hazards", "debris"), ("notes", "Near the bus stop, please hurry")));
        Assert.Empty(Validate(("size", "small"), ("seen-at", "2026-03-08")));
        Assert.Empty(Validate(("size", "small"), ("seen-at", "2026-03-08T14:30:00Z")));
    }

    [Fact]
    public void Numbers_are_read_with_invariant_culture()
    {
        var error = Assert.Single(Validate(("size", "small"), ("depth-cm", "12,5")));

        Assert.Equal(AttributeErrorKind.NotANumber, error.Kind);
    }

    [Fact]
    public void A_multi_value_list_names_every_value_that_is_not_allowed()
    {
        var error = Assert.Single(Validate(("size", "small"), ("hazards", "water"), ("hazards", "fire"), ("hazards", "ice")));

        Assert.Equal("attribute 'hazards': 'fire', 'ice' are not one of water, debris", error.Message);
    }

    [Fact]
    public void Several_values_for_a_single_value_attribute_are_refused()
    {
        var error = Assert.Single(Validate(("size", "small"), ("size", "large")));

        Assert.Equal(AttributeErrorKind.TooManyValues, error.Kind);
    }

    [Fact]
    public void A_blank_value_for_a_required_attribute_counts_as_missing()
    {
        var error = Assert.Single(Validate(("size", "  ")));

        Assert.Equal(AttributeErrorKind.Missing, error.Kind);
    }

    [Fact]
    public void An_informational_attribute_takes_no_value()
    {
        var service = PotholeService with
        {
            Attributes = [new ServiceAttribute("warning", AttributeDatatype.Text, false, "Call 911 for emergencies", 0, [], Variable: false)],
        };

        var error = Assert.Single(service.ValidateAttributes(Attributes(("warning", "ok"))));

        Assert.Equal(AttributeErrorKind.NotAnInput, error.Kind);
        Assert.Empty(service.ValidateAttributes(Attributes()));
    }
}
