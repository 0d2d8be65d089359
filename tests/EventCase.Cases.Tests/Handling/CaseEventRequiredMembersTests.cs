using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using EventCase.Cases.AddingNotes;
using EventCase.Cases.Assigning;
using EventCase.Cases.Calendars;
using EventCase.Cases.Catalog;
using EventCase.Cases.ChangingPriority;
using EventCase.Cases.Escalating;
using EventCase.Cases.Handling;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Linking;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.RecordingContacts;
using EventCase.Cases.RecordingFeedback;
using EventCase.Cases.Reopening;
using EventCase.Cases.RequestingInformation;
using EventCase.Cases.Routing;
using EventCase.Cases.Sla;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using NodaTime;
using static EventCase.Cases.Tests.Support.CaseFixtures;

namespace EventCase.Cases.Tests.Handling;

/// <summary>
/// Decision 0019 over every event type of the case domain: a stored event must hold each member its record cannot do
/// without, while what the store writes today (nulls omitted) reads exactly as before.
/// </summary>
public sealed class CaseEventRequiredMembersTests
{
    private static readonly EventSerializer Serializer = CaseEvents.CreateSerializer();

    private static readonly CalendarDefinition Calendar =
        new("America/New_York", [new CalendarHours(IsoDayOfWeek.Monday, new LocalTime(8, 0), new LocalTime(17, 0))], [new LocalDate(2026, 12, 25)]);

    private static readonly ServiceDefinition PotholeServiceWithEverything = PotholeService with
    {
        Group = "Streets",
        Keywords = ["road"],
        Attributes = [new ServiceAttribute("depth", AttributeDatatype.Number, false, "How deep?", 1, [], Variable: true, DatatypeDescription: "cm")],
    };

    /// <summary>One event of each registered type, every nullable member (nested ones too) null: stored without them.</summary>
    private static readonly object[] WithoutOptionalMembers =
    [
        Opened() with { Citizen = null, Location = null }, new CaseAssigned(Id, new Assignment(Streets), Now),
        new CaseReassigned(Id, new Assignment(Streets), new Assignment(Lighting), Now), new CaseUnassigned(Id, new Assignment(Streets), null, Now),
        Started(), InfoRequested(), new InformationReceived(Id, "North side", Channel.Sms, Now), new NoteAdded(Id, NoteVisibility.Public, "Crew on site", Now),
        new CitizenContacted(Id, ContactDirection.Inbound, Channel.InPerson, "Came to the counter", Now), EscalatedTo1(),
        new CaseDeescalated(Id, 1, 0, "Fixed", Now), new PriorityChanged(Id, CasePriority.Normal, CasePriority.High, null, Now),
        Transferred(), Resolved(), Closed(), new CaseReopened(Id, "Not fixed", Now), Cancelled(),
        new CaseMarkedDuplicate(Id, new CaseId("case-77"), null, Now), new DuplicateCaseMerged(Id, new CaseId("case-78"), null, Now),
        new ParentCaseLinked(Id, new CaseId("case-1"), Now), new ChildCaseLinked(Id, new CaseId("case-200"), Now),
        new FeedbackRecorded(Id, 4, null, Now),
        new ServiceDefined(Pothole, PotholeService, Now), new ServiceUpdated(Pothole, PotholeService with { Sla = SlaTarget.CalendarDays(2) }, Now),
        new ServiceRetired(Pothole, "Merged into road-defect", Now), new ServiceReinstated(Pothole, Now),
        new RoutingRuleAdded(new RoutingRule("r1", 1, [Pothole], null, Boston, Streets), Now),
        new RoutingRuleReplaced(new RoutingRule("r1", 2, [], null, Boston, Lighting), Now),
        new RoutingRuleRemoved("r1", Now), new DefaultRouteSet(Boston, Streets, Now), new CalendarSet(Boston, Calendar, Now),
    ];

    /// <summary>One event of each registered type (two where a value takes one of two shapes), every nullable member set.</summary>
    private static readonly object[] WithEveryOptionalMember =
    [
        Opened() with { TransferredFrom = new TransferredFrom(Massdot, new CaseId("case-5"), CaseNumber.Parse("MDOT-2026-000005")) },
        new CaseAssigned(Id, new Assignment(Streets, Alice), Now),
        new CaseReassigned(Id, new Assignment(Streets, Alice), new Assignment(Lighting, Alice), Now),
        new CaseUnassigned(Id, new Assignment(Streets, Alice), "Off shift", Now),
        Started(), InfoRequested(), new InformationReceived(Id, "North side", Channel.Sms, Now), new NoteAdded(Id, NoteVisibility.Internal, "Crew on site", Now),
        new CitizenContacted(Id, ContactDirection.Outbound, Channel.Phone, "Called back", Now), EscalatedTo1(),
        new CaseDeescalated(Id, 1, 0, "Fixed", Now), new PriorityChanged(Id, CasePriority.Normal, CasePriority.High, "Near a school", Now),
        Transferred() with { ToCaseId = new CaseId("case-900"), ToNumber = CaseNumber.Parse("MDOT-2026-000900") }, Resolved(), Closed(), new CaseReopened(Id, "Not fixed", Now), Cancelled(), MarkedDuplicate(), DuplicateMerged(),
        new ParentCaseLinked(Id, new CaseId("case-1"), Now), new ChildCaseLinked(Id, new CaseId("case-200"), Now),
        new FeedbackRecorded(Id, 4, "Thanks", Now),
        new ServiceDefined(Pothole, PotholeServiceWithEverything, Now), new ServiceUpdated(Pothole, PotholeServiceWithEverything, Now),
        new ServiceRetired(Pothole, "Merged into road-defect", Now), new ServiceReinstated(Pothole, Now),
        new RoutingRuleAdded(new RoutingRule("r1", 1, [Pothole], GeoArea.Rectangle("Downtown", new BoundingBox(1, 2, 3, 4)), Boston, Streets), Now),
        new RoutingRuleReplaced(new RoutingRule("r1", 2, [], GeoArea.PolygonArea("Ward 3", new GeoPoint(0, 0), new GeoPoint(0, 1), new GeoPoint(1, 1)), Boston, Lighting), Now),
        new RoutingRuleRemoved("r1", Now), new DefaultRouteSet(Boston, Streets, Now), new CalendarSet(Boston, Calendar, Now),
    ];

    public static TheoryData<int> WithoutOptionalMembersIndexes() => [.. Enumerable.Range(0, WithoutOptionalMembers.Length)];

    public static TheoryData<int> WithEveryOptionalMemberIndexes() => [.. Enumerable.Range(0, WithEveryOptionalMember.Length)];

    public static TheoryData<string> RegisteredNames() => [.. CaseEvents.CreateRegistry().Names.Order(StringComparer.Ordinal)];

    [Fact]
    public void The_examples_cover_every_registered_type_leaving_every_optional_member_out_in_one_set_and_in_in_the_other()
    {
        var optional = CaseEvents.AllTypes.SelectMany(t => OptionalMembersReachableFrom(t, [])).ToHashSet();
        var setWithout = new HashSet<string>();
        var setWith = new HashSet<string>();
        foreach (var example in WithoutOptionalMembers)
        {
            Walk(example, setWithout);
        }

        foreach (var example in WithEveryOptionalMember)
        {
            Walk(example, setWith);
        }

        Assert.Equal(CaseEvents.AllTypes.ToHashSet(), WithoutOptionalMembers.Select(e => e.GetType()).ToHashSet());
        Assert.Equal(CaseEvents.AllTypes.ToHashSet(), WithEveryOptionalMember.Select(e => e.GetType()).ToHashSet());
        Assert.Contains("CaseOpened.citizen", optional);
        Assert.Contains("CitizenContact.phone", optional);
        Assert.Contains("ServiceAttribute.datatypeDescription", optional);
        Assert.Empty(setWithout);
        Assert.Equal(optional.Order(StringComparer.Ordinal), setWith.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(WithoutOptionalMembersIndexes))]
    public void An_event_stored_without_its_optional_members_reads_back_as_written(int index) =>
        AssertReadsBackAsWritten(WithoutOptionalMembers[index]);

    [Theory]
    [MemberData(nameof(WithEveryOptionalMemberIndexes))]
    public void An_event_stored_with_every_optional_member_reads_back_as_written(int index) =>
        AssertReadsBackAsWritten(WithEveryOptionalMember[index]);

    [Theory]
    [MemberData(nameof(RegisteredNames))]
    public void Every_event_type_read_from_an_empty_object_is_refused_naming_the_type_the_position_and_a_missing_member(string name)
    {
        var error = Assert.Throws<JsonException>(() => Serializer.DeserializeData(name, "{}", position: 4711));

        var type = Serializer.Registry.FindType(name)!;
        var required = Serializer.ReadingOptions.GetTypeInfo(type).Properties.Where(p => p.IsRequired).Select(p => p.Name).ToArray();
        Assert.Contains("at", required);
        Assert.StartsWith($"Event '{name}' at log position 4711 cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"for type '{type.FullName}' was missing required properties", error.Message, StringComparison.Ordinal);
        Assert.Contains(required, member => error.Message.Contains($"'{member}'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_case_opened_without_its_case_id_is_refused_naming_that_member()
    {
        var json = JsonNode.Parse(Serializer.SerializeData(Opened()).Json)!.AsObject();
        json.Remove("caseId");

        var error = Assert.Throws<JsonException>(() => Serializer.DeserializeData("case.opened.v1", json.ToJsonString(), position: 12));

        Assert.Contains("at log position 12", error.Message, StringComparison.Ordinal);
        Assert.Contains("missing required properties including: 'caseId'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("caseId")]
    [InlineData("description")]
    [InlineData("attributes")]
    [InlineData("sla")]
    [InlineData("at")]
    public void A_required_member_stored_as_null_is_refused_naming_that_member(string member)
    {
        var json = JsonNode.Parse(Serializer.SerializeData(Opened()).Json)!.AsObject();
        json[member] = null;

        var error = Assert.Throws<JsonException>(() => Serializer.DeserializeData("case.opened.v1", json.ToJsonString(), position: 12));

        Assert.Contains("Event 'case.opened.v1' at log position 12 cannot be read", error.Message, StringComparison.Ordinal);
        Assert.Equal($"$.{member}", error.Path);
    }

    [Fact]
    public void A_stored_value_its_value_object_refuses_is_refused_as_unreadable_naming_the_event_and_the_rule()
    {
        var json = JsonNode.Parse(Serializer.SerializeData(Opened()).Json)!.AsObject();
        json["sla"]!["amount"] = "0:00:00:00";

        var error = Assert.Throws<JsonException>(() => Serializer.DeserializeData("case.opened.v1", json.ToJsonString(), position: 12));

        Assert.Contains("Event 'case.opened.v1' at log position 12 cannot be read", error.Message, StringComparison.Ordinal);
        Assert.Contains("An SLA target must be positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_optional_member_stored_as_null_reads_as_null()
    {
        var json = JsonNode.Parse(Serializer.SerializeData(Opened()).Json)!.AsObject();
        json["citizen"] = null;

        var (_, read) = Serializer.DeserializeData("case.opened.v1", json.ToJsonString());

        Assert.Null(Assert.IsType<CaseOpened>(read).Citizen);
    }

    [Fact]
    public void A_nested_value_without_a_required_member_is_refused_naming_that_member_and_where_it_is()
    {
        var error = Assert.Throws<JsonException>(() =>
            Serializer.DeserializeData("case.assigned.v1", """{"caseId":"case-102","to":{"agent":"alice"},"at":"2026-03-02T15:00:00Z"}"""));

        Assert.Contains("for type 'EventCase.Cases.Assignment' was missing required properties including: 'team'", error.Message, StringComparison.Ordinal);
        Assert.Equal("$.to", error.Path);
    }

    [Fact]
    public void A_member_with_a_default_value_may_be_absent_and_reads_as_its_default()
    {
        var json = JsonNode.Parse(Serializer.SerializeData(new ServiceDefined(Pothole, PotholeService, Now)).Json)!.AsObject();
        json["definition"]!["attributes"]![0]!.AsObject().Remove("variable");

        var (_, read) = Serializer.DeserializeData("catalog.service-defined.v1", json.ToJsonString());

        Assert.True(Assert.IsType<ServiceDefined>(read).Definition.Attributes[0].Variable);
    }

    [Fact]
    public void A_snapshot_without_a_member_the_state_requires_is_refused_naming_the_case_and_its_version()
    {
        var error = Assert.Throws<JsonException>(() =>
            CaseStateSnapshot.Deserialize("{}"u8, Serializer.ReadingOptions, new StreamName("boston", "case-102"), 40));

        Assert.StartsWith("The case-state.v2 snapshot of boston/case-102 at version 40 cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("'status'", error.Message, StringComparison.Ordinal);
    }

    private static void AssertReadsBackAsWritten(object original)
    {
        var (name, json) = Serializer.SerializeData(original);

        var (readName, read) = Serializer.DeserializeData(name, json);

        Assert.Equal(name, readName);
        Assert.IsType(original.GetType(), read);
        Assert.Equal(json, Serializer.SerializeData(read).Json);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
    }

    /// <summary>The members a document holds: the contract lists members it ignores (derived ones) without a getter.</summary>
    private static IEnumerable<JsonPropertyInfo> Members(JsonTypeInfo info) =>
        info.Kind == JsonTypeInfoKind.Object ? info.Properties.Where(p => p.Get is not null) : [];

    private static bool IsOptional(JsonPropertyInfo property) => property.AssociatedParameter?.IsNullable ?? property.IsGetNullable;

    /// <summary>"Owner.member" of every nullable member of <paramref name="type"/> and the values it holds, by their declared types.</summary>
    private static IEnumerable<string> OptionalMembersReachableFrom(Type type, HashSet<Type> seen)
    {
        var info = Serializer.ReadingOptions.GetTypeInfo(Nullable.GetUnderlyingType(type) ?? type);
        if (!seen.Add(info.Type))
        {
            yield break;
        }

        var next = info.Kind switch
        {
            JsonTypeInfoKind.Object => Members(info).Select(p => p.PropertyType),
            JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary => [info.ElementType!],
            _ => [],
        };
        foreach (var property in Members(info).Where(IsOptional))
        {
            yield return $"{info.Type.Name}.{property.Name}";
        }

        foreach (var member in next.SelectMany(t => OptionalMembersReachableFrom(t, seen)))
        {
            yield return member;
        }
    }

    /// <summary>Adds "Owner.member" of every nullable member set in <paramref name="value"/> or the values it holds.</summary>
    private static void Walk(object value, HashSet<string> optionalMembersSet)
    {
        var info = Serializer.ReadingOptions.GetTypeInfo(value.GetType());
        var children = info.Kind switch
        {
            JsonTypeInfoKind.Object => Members(info).Select(p => p.Get!(value)),
            JsonTypeInfoKind.Dictionary => ((IDictionary)value).Values.Cast<object?>(),
            JsonTypeInfoKind.Enumerable => ((IEnumerable)value).Cast<object?>(),
            _ => [],
        };
        foreach (var property in Members(info).Where(p => IsOptional(p) && p.Get!(value) is not null))
        {
            optionalMembersSet.Add($"{info.Type.Name}.{property.Name}");
        }

        foreach (var child in children.OfType<object>())
        {
            Walk(child, optionalMembersSet);
        }
    }
}
