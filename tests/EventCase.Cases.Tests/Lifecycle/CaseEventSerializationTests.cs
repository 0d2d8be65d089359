using System.Reflection;
using System.Text.Json;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Catalog;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Escalating;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Routing;
using EventCase.Cases.Tests.Support;
using EventCase.EventStore.Serialization;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Lifecycle;

public sealed class CaseEventSerializationTests
{
    private static readonly CaseEvent[] OneOfEach =
    [
        Opened(), AssignedToStreets(), new CaseReassigned(Id, new Assignment(Streets), new Assignment(Lighting, Alice), Now),
        new CaseUnassigned(Id, new Assignment(Streets), null, Now), Started(), InfoRequested(),
        new InformationReceived(Id, "North side", Channel.Sms, Now), new NoteAdded(Id, NoteVisibility.Public, "Crew on site", Now),
        new CitizenContacted(Id, ContactDirection.Inbound, Channel.InPerson, "Came to the counter", Now), EscalatedTo1(),
        new CaseDeescalated(Id, 1, 0, "Fixed", Now), new PriorityChanged(Id, CasePriority.Normal, CasePriority.High, null, Now),
        Transferred(), Resolved(), Closed(), new CaseReopened(Id, "Not fixed", Now), Cancelled(), MarkedDuplicate(), DuplicateMerged(),
        new ParentCaseLinked(Id, new CaseId("case-1"), Now), new ChildCaseLinked(Id, new CaseId("case-200"), Now),
        new FeedbackRecorded(Id, 4, "Thanks", Now),
    ];

    public static TheoryData<string> EventNames() => [.. OneOfEach.Select(e => e.GetType().Name)];

    [Fact]
    public void Every_case_event_type_is_listed_once_with_a_stable_versioned_name()
    {
        var names = CaseEventTypes.All.Select(t => t.GetCustomAttribute<EventTypeAttribute>()!.Name).ToArray();

        Assert.Equal(22, CaseEventTypes.All.Count);
        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches(@"^case\.[a-z-]+\.v1$", n));
        Assert.Equal(CaseEventTypes.All.ToHashSet(), OneOfEach.Select(e => e.GetType()).ToHashSet());
        Assert.Equal("case.opened.v1", new EventTypeRegistry().RegisterAll(CaseEventTypes.All).GetName(typeof(CaseOpened)));
    }

    [Fact]
    public void Catalog_and_routing_events_register_under_their_own_names()
    {
        var registry = new EventTypeRegistry().RegisterAll(ServiceCatalog.EventTypes).RegisterAll(RoutingTable.EventTypes);

        Assert.Equal("catalog.service-defined.v1", registry.GetName(typeof(ServiceDefined)));
        Assert.Equal("routing.rule-added.v1", registry.GetName(typeof(RoutingRuleAdded)));
    }

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Each_event_round_trips_through_json_unchanged(string eventName)
    {
        var original = OneOfEach.Single(e => e.GetType().Name == eventName);
        var json = JsonSerializer.Serialize(original, original.GetType(), CaseJson.Options);

        var read = (CaseEvent)JsonSerializer.Deserialize(json, original.GetType(), CaseJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(read, read.GetType(), CaseJson.Options));
        Assert.Equal(original.CaseId, read.CaseId);
        Assert.Equal(original.At, read.At);
    }

    [Fact]
    public void Identifiers_case_numbers_enums_and_instants_are_written_as_plain_strings()
    {
        var json = JsonSerializer.Serialize(Opened(), CaseJson.Options);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal("case-102", root.GetProperty("CaseId").GetString());
        Assert.Equal("BOS-2026-000102", root.GetProperty("Number").GetString());
        Assert.Equal("Web", root.GetProperty("Channel").GetString());
        Assert.Equal("2026-03-02T14:00:00Z", root.GetProperty("At").GetString());
        Assert.Equal("large", root.GetProperty("Attributes").GetProperty("size")[0].GetString());
        Assert.Equal("BusinessHours", root.GetProperty("Sla").GetProperty("Kind").GetString());
    }

    [Fact]
    public void Personal_data_is_marked_on_the_fields_that_hold_it_and_nowhere_else_that_statistics_need()
    {
        static bool Marked(Type type, string property) =>
            type.GetProperty(property)!.GetCustomAttribute<PersonalDataAttribute>() is not null;

        Assert.True(Marked(typeof(CaseOpened), nameof(CaseOpened.Description)));
        Assert.True(Marked(typeof(CaseOpened), nameof(CaseOpened.Attributes)));
        Assert.True(Marked(typeof(CitizenContact), nameof(CitizenContact.Name)));
        Assert.True(Marked(typeof(CitizenContact), nameof(CitizenContact.Email)));
        Assert.True(Marked(typeof(CitizenContact), nameof(CitizenContact.Phone)));
        Assert.True(Marked(typeof(CaseLocation), nameof(CaseLocation.Address)));
        Assert.True(Marked(typeof(InformationReceived), nameof(InformationReceived.Response)));
        Assert.True(Marked(typeof(FeedbackRecorded), nameof(FeedbackRecorded.Comment)));
        Assert.True(Marked(typeof(NoteAdded), nameof(NoteAdded.Text)));
        Assert.True(Marked(typeof(CitizenContacted), nameof(CitizenContacted.Summary)));

        Assert.False(Marked(typeof(CitizenContact), nameof(CitizenContact.Reference)));
        Assert.False(Marked(typeof(CaseLocation), nameof(CaseLocation.Point)));
        Assert.False(Marked(typeof(CaseOpened), nameof(CaseOpened.Service)));
        Assert.False(Marked(typeof(FeedbackRecorded), nameof(FeedbackRecorded.Satisfaction)));
    }
}

public sealed class CatalogAndRoutingEventSerializationTests
{
    private static readonly NodaTime.Instant Now = NodaTime.Instant.FromUtc(2026, 1, 5, 12, 0);

    public static TheoryData<string> Events() => ["defined", "rule-added-polygon", "rule-added-box"];

    [Theory]
    [MemberData(nameof(Events))]
    public void Catalog_and_routing_events_round_trip_through_json_unchanged(string which)
    {
        object original = which switch
        {
            "defined" => new ServiceDefined(PotholeService.Code, PotholeService with { Keywords = ["road", "hole"] }, Now),
            "rule-added-polygon" => new RoutingRuleAdded(
                new RoutingRule("r1", 1, [Pothole], GeoArea.PolygonArea("Ward 3", new GeoPoint(0, 0), new GeoPoint(0, 1), new GeoPoint(1, 1)), Boston, Streets), Now),
            _ => new RoutingRuleAdded(new RoutingRule("r2", 2, [], GeoArea.Rectangle("Downtown", new BoundingBox(1, 2, 3, 4)), Boston, Streets), Now),
        };
        var json = JsonSerializer.Serialize(original, original.GetType(), CaseJson.Options);

        var read = JsonSerializer.Deserialize(json, original.GetType(), CaseJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(read, read.GetType(), CaseJson.Options));
    }
}
