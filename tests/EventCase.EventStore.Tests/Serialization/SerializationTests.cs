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
    }

    [Fact]
    public void Enums_are_written_as_camel_case_names()
    {
        var json = JsonSerializer.Serialize(new { Direction = ReadDirection.Backward }, Options);

        Assert.Equal("""{"direction":"backward"}""", json);
    }
}
