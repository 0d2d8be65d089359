using System.Text.Json;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using NodaTime;

namespace EventCase.EventStore.Tests.Serialization;

public sealed class SerializationTests
{
    private static readonly JsonSerializerOptions Options = EventSerializer.CreateDefaultOptions();

    private sealed record AllTheTimes(
        Instant Instant,
        LocalDate Date,
        LocalTime Time,
        LocalDateTime DateTime,
        Duration Duration,
        Period Period,
        DateTimeZone Zone);

    [Fact]
    public void NodaTime_values_round_trip_through_json_as_invariant_iso_text()
    {
        var value = new AllTheTimes(
            Instant.FromUtc(2026, 3, 8, 7, 0, 0) + Duration.FromNanoseconds(123_456_789),
            new LocalDate(2026, 11, 1),
            new LocalTime(8, 30, 15, 250),
            new LocalDateTime(2026, 12, 24, 17, 0),
            Duration.FromHours(26) + Duration.FromMinutes(3),
            Period.FromDays(3) + Period.FromHours(4),
            DateTimeZoneProviders.Tzdb["America/New_York"]);

        var json = JsonSerializer.Serialize(value, Options);
        var back = JsonSerializer.Deserialize<AllTheTimes>(json, Options);

        Assert.Equal(value, back);
        Assert.Contains("\"instant\":\"2026-03-08T07:00:00.123456789Z\"", json, StringComparison.Ordinal);
        Assert.Contains("\"date\":\"2026-11-01\"", json, StringComparison.Ordinal);
        Assert.Contains("\"time\":\"08:30:15.25\"", json, StringComparison.Ordinal);
        Assert.Contains("\"duration\":\"1:02:03:00\"", json, StringComparison.Ordinal);
        Assert.Contains("\"period\":\"P3DT4H\"", json, StringComparison.Ordinal);
        Assert.Contains("\"zone\":\"America/New_York\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"instant":"yesterday"}""")]
    [InlineData("""{"instant":42}""")]
    [InlineData("""{"zone":"Mars/Olympus_Mons"}""")]
    [InlineData("""{"date":"2026-02-30"}""")]
    public void Malformed_NodaTime_text_is_a_json_error_saying_what_was_expected(string json)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<AllTheTimes>(json, Options));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void A_type_without_an_event_type_attribute_cannot_be_registered()
    {
        var error = Assert.Throws<ArgumentException>(() => new EventTypeRegistry().Register<NotRegistered>());

        Assert.Contains("[EventType", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Case.Opened.v1")]
    [InlineData("case.opened")]
    [InlineData("case opened.v1")]
    [InlineData("")]
    public void Malformed_event_type_names_are_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => new EventTypeRegistry().Register(name, typeof(NoteAdded)));
    }

    [Fact]
    public void One_name_cannot_be_bound_to_two_types_nor_one_type_to_two_names()
    {
        var registry = new EventTypeRegistry().Register<NoteAdded>();

        Assert.Throws<ArgumentException>(() => registry.Register("test.note-added.v1", typeof(ThingOpened)));
        Assert.Throws<ArgumentException>(() => registry.Register("test.other-name.v1", typeof(NoteAdded)));
        registry.Register<NoteAdded>();
    }

    [Fact]
    public void Upcaster_chains_are_followed_to_the_registered_type()
    {
        var registry = new EventTypeRegistry()
            .Register<PrioritySet>()
            .AddUpcaster("test.priority-set.v0", "test.priority-set.v1", old => new System.Text.Json.Nodes.JsonObject { ["level"] = old["word"]!.GetValue<string>() })
            .AddUpcaster("test.priority-set.v1", "test.priority-set.v2", old => new System.Text.Json.Nodes.JsonObject { ["level"] = 3, ["reason"] = old["level"]!.GetValue<string>() });
        var serializer = new EventSerializer(registry);

        var (name, data) = serializer.DeserializeData("test.priority-set.v0", """{"word":"low"}""");

        Assert.Equal("test.priority-set.v2", name);
        Assert.Equal(new PrioritySet(3, "low"), data);
        Assert.True(registry.IsKnown("test.priority-set.v0"));
        Assert.False(registry.IsKnown("test.unheard-of.v1"));
    }

    [Fact]
    public void Unknown_members_in_stored_data_are_an_error_not_silent_loss()
    {
        var serializer = new EventSerializer(TestEvents.Registry());

        var (_, data) = serializer.DeserializeData("test.note-added.v1", """{"thingId":"a","text":"b"}""");
        var error = Assert.Throws<JsonException>(() =>
            serializer.DeserializeData("test.note-added.v1", """{"thingId":"a","text":"b","assignee":"lost?"}"""));

        Assert.Equal(new NoteAdded("a", "b"), data);
        Assert.Contains("assignee", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Event 'test.note-added.v1' cannot be read: ", error.Message, StringComparison.Ordinal);
    }

    [EventType("test.thing-renamed.v1")]
    private sealed record ThingRenamed(string ThingId, string? Reason, string Title, int Attempts = 1, string Source = "form");

    [Fact]
    public void A_stored_event_without_a_member_its_record_requires_is_refused_naming_the_type_the_position_and_the_member()
    {
        var serializer = new EventSerializer(TestEvents.Registry());

        var error = Assert.Throws<JsonException>(() => serializer.DeserializeData("test.note-added.v1", """{"thingId":"a"}""", position: 1234));

        Assert.Equal(
            "Event 'test.note-added.v1' at log position 1234 cannot be read: JSON deserialization for type "
            + "'EventCase.EventStore.Tests.Support.NoteAdded' was missing required properties including: 'text'.",
            error.Message);
        Assert.IsType<JsonException>(error.InnerException);
    }

    [Fact]
    public void A_value_type_member_is_required_too_since_its_absence_would_read_as_zero()
    {
        var serializer = new EventSerializer(TestEvents.Registry());

        var error = Assert.Throws<JsonException>(() => serializer.DeserializeData("test.thing-opened.v1", """{"thingId":"a","title":"b"}"""));

        Assert.Contains("missing required properties including: 'at'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nullable_member_or_one_with_a_default_value_may_be_absent_and_reads_as_null_or_that_default()
    {
        var serializer = new EventSerializer(new EventTypeRegistry().Register<ThingRenamed>());

        var (_, data) = serializer.DeserializeData("test.thing-renamed.v1", """{"thingId":"a","title":"b"}""");
        var error = Assert.Throws<JsonException>(() => serializer.DeserializeData("test.thing-renamed.v1", """{"thingId":"a","reason":"typo"}"""));

        Assert.Equal(new ThingRenamed("a", null, "b"), data);
        Assert.Contains("missing required properties including: 'title'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_nullable_member_stored_as_null_is_refused_and_a_nullable_one_reads_as_null()
    {
        var serializer = new EventSerializer(new EventTypeRegistry().Register<ThingRenamed>());

        var (_, data) = serializer.DeserializeData("test.thing-renamed.v1", """{"thingId":"a","reason":null,"title":"b"}""");
        var error = Assert.Throws<JsonException>(() => serializer.DeserializeData("test.thing-renamed.v1", """{"thingId":"a","title":null}""", position: 9));

        Assert.Equal(new ThingRenamed("a", null, "b"), data);
        Assert.StartsWith("Event 'test.thing-renamed.v1' at log position 9 cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Equal("$.title", error.Path);
    }

    [Fact]
    public void What_the_serializer_writes_with_null_members_left_out_reads_back_unchanged()
    {
        var serializer = new EventSerializer(new EventTypeRegistry().Register<ThingRenamed>());
        var (name, json) = serializer.SerializeData(new ThingRenamed("a", null, "b", 3, "api"));

        var (_, data) = serializer.DeserializeData(name, json);

        Assert.Equal("""{"thingId":"a","title":"b","attempts":3,"source":"api"}""", json);
        Assert.Equal(new ThingRenamed("a", null, "b", 3, "api"), data);
    }

    [Fact]
    public void An_upcast_that_leaves_out_a_member_the_current_record_requires_is_refused_naming_both_types()
    {
        var registry = new EventTypeRegistry()
            .Register<PrioritySet>()
            .AddUpcaster("test.priority-set.v1", "test.priority-set.v2", old => new System.Text.Json.Nodes.JsonObject { ["level"] = 3 });
        var serializer = new EventSerializer(registry);

        var error = Assert.Throws<JsonException>(() => serializer.DeserializeData("test.priority-set.v1", """{"level":"low"}""", position: 77));

        Assert.StartsWith("Event 'test.priority-set.v1' (upcast to 'test.priority-set.v2') at log position 77 cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("'reason'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_without_its_actor_is_refused_and_without_its_optional_members_reads()
    {
        var serializer = new EventSerializer(TestEvents.Registry());

        var metadata = serializer.DeserializeMetadata("""{"actorId":"agent-7","actorRole":"agent"}"""u8);
        var error = Assert.Throws<JsonException>(() => serializer.DeserializeMetadata("""{"actorRole":"agent"}"""u8));

        Assert.Equal(new Metadata.EventMetadata("agent-7", "agent"), metadata);
        Assert.Contains("missing required properties including: 'actorId'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_writing_options_do_not_hold_other_documents_such_as_projection_rows_to_the_rule()
    {
        var serializer = new EventSerializer(TestEvents.Registry());

        var note = JsonSerializer.Deserialize<NoteAdded>("""{"thingId":"a"}""", serializer.Options);

        Assert.Equal(new NoteAdded("a", null!), note);
        Assert.NotSame(serializer.Options, serializer.ReadingOptions);
    }

    [Fact]
    public void Enums_are_written_as_camel_case_names()
    {
        var json = JsonSerializer.Serialize(new { Direction = ReadDirection.Backward }, Options);

        Assert.Equal("""{"direction":"backward"}""", json);
    }
}
