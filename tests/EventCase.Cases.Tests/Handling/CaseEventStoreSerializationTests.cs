using System.Text.Json;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Calendars;
using EventCase.Cases.Assigning;
using EventCase.Cases.Catalog;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.EventStore.Serialization;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

/// <summary>
/// Every event of the case domain through the event store's own serializer (camelCase, enums as camelCase strings,
/// unknown members rejected, NodaTime converters): what is written is exactly what is read back.
/// </summary>
public sealed class CaseEventStoreSerializationTests
{
    private static readonly EventSerializer Serializer = CaseEvents.CreateSerializer();

    private static readonly object[] OneOfEach =
    [
        Opened(), Opened() with { Citizen = null, Location = new CaseLocation(null, "Main St"), Channel = Channel.InPerson, Sla = SlaTarget.CalendarDays(3) },
        AssignedToStreets(), new CaseReassigned(Id, new Assignment(Streets), new Assignment(Lighting, Alice), Now),
        new CaseUnassigned(Id, new Assignment(Streets), null, Now), Started(), InfoRequested(),
        new InformationReceived(Id, "North side", Channel.Sms, Now), new NoteAdded(Id, NoteVisibility.Public, "Crew on site", Now),
        new CitizenContacted(Id, ContactDirection.Inbound, Channel.InPerson, "Came to the counter", Now), EscalatedTo1(),
        new CaseDeescalated(Id, 1, 0, "Fixed", Now), new PriorityChanged(Id, CasePriority.Normal, CasePriority.High, null, Now),
        Transferred(), Resolved(), Closed(), new CaseReopened(Id, "Not fixed", Now), Cancelled(), MarkedDuplicate(), DuplicateMerged(),
        new ParentCaseLinked(Id, new CaseId("case-1"), Now), new ChildCaseLinked(Id, new CaseId("case-200"), Now),
        new FeedbackRecorded(Id, 4, "Thanks", Now),
        new ServiceDefined(Pothole, PotholeService with { Keywords = ["road"], Group = "Streets" }, Now),
        new ServiceUpdated(Pothole, PotholeService with { Sla = SlaTarget.BusinessTime(Duration.FromMinutes(90)) }, Now),
        new ServiceRetired(Pothole, "Merged into road-defect", Now), new ServiceReinstated(Pothole, Now),
        new RoutingRuleAdded(new RoutingRule("r1", 1, [Pothole], GeoArea.PolygonArea("Ward 3", new GeoPoint(0, 0), new GeoPoint(0, 1), new GeoPoint(1, 1)), Boston, Streets), Now),
        new RoutingRuleReplaced(new RoutingRule("r1", 2, [], GeoArea.Rectangle("Downtown", new BoundingBox(1, 2, 3, 4)), Boston, Lighting), Now),
        new RoutingRuleRemoved("r1", Now), new DefaultRouteSet(Boston, Streets, Now),
        new CalendarSet(Boston, new CalendarDefinition("America/New_York", [new CalendarHours(IsoDayOfWeek.Monday, new LocalTime(8, 0), new LocalTime(17, 0))], [new LocalDate(2026, 12, 25)]), Now),
    ];

    public static TheoryData<int> Indexes() => [.. Enumerable.Range(0, OneOfEach.Length)];

    [Fact]
    public void The_registry_holds_every_case_catalog_routing_and_calendar_event_and_the_examples_cover_them_all()
    {
        var registry = CaseEvents.CreateRegistry();

        Assert.Equal(CaseEvents.AllTypes.Count, registry.Names.Count);
        Assert.Equal(CaseEvents.AllTypes.ToHashSet(), OneOfEach.Select(e => e.GetType()).ToHashSet());
        Assert.Equal("case.opened.v1", registry.GetName(typeof(CaseOpened)));
        Assert.Equal("catalog.service-defined.v1", registry.GetName(typeof(ServiceDefined)));
        Assert.Equal("routing.default-route-set.v1", registry.GetName(typeof(DefaultRouteSet)));
        Assert.Equal("calendar.set.v1", registry.GetName(typeof(CalendarSet)));
    }

    [Fact]
    public void Registering_the_case_events_twice_is_harmless()
    {
        var registry = CaseEvents.CreateRegistry().AddCaseEvents();

        Assert.Equal(CaseEvents.AllTypes.Count, registry.Names.Count);
    }

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Each_event_round_trips_through_the_store_serializer_unchanged(int index)
    {
        var original = OneOfEach[index];
        var (name, json) = Serializer.SerializeData(original);

        var (readName, read) = Serializer.DeserializeData(name, json);

        Assert.Equal(name, readName);
        Assert.IsType(original.GetType(), read);
        Assert.Equal(json, Serializer.SerializeData(read).Json);
    }

    [Fact]
    public void Stored_case_events_use_camel_case_names_and_plain_string_values()
    {
        var (_, json) = Serializer.SerializeData(Opened() with { Channel = Channel.InPerson });
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal("case-102", root.GetProperty("caseId").GetString());
        Assert.Equal("BOS-2026-000102", root.GetProperty("number").GetString());
        Assert.Equal("inPerson", root.GetProperty("channel").GetString());
        Assert.Equal("normal", root.GetProperty("priority").GetString());
        Assert.Equal("businessHours", root.GetProperty("sla").GetProperty("kind").GetString());
        Assert.Equal("2026-03-02T14:00:00Z", root.GetProperty("at").GetString());
        Assert.False(root.GetProperty("location").GetProperty("point").TryGetProperty("isValid", out _));
        Assert.False(root.GetProperty("sla").TryGetProperty("days", out _));
        var (_, definition) = Serializer.SerializeData(new ServiceDefined(Pothole, PotholeService, Now));
        Assert.DoesNotContain("isList", definition, StringComparison.Ordinal);
    }
}
