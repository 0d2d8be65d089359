using System.Text;
using System.Text.Json;
using EventCase.EventStore.Serialization;
using NodaTime;
using NodaTime.Text;

namespace EventCase.EventStore.Tests.Serialization;

/// <summary>The hand-written instant text must be byte for byte what NodaTime's extended ISO pattern reads and writes.</summary>
public sealed class IsoInstantTests
{
    private static readonly JsonSerializerOptions Options = EventSerializer.CreateDefaultOptions();

    private static IEnumerable<Instant> Samples()
    {
        var random = new Random(8);
        yield return Instant.FromUtc(1, 1, 1, 0, 0, 0);
        yield return Instant.FromUtc(9999, 12, 31, 23, 59, 59) + Duration.FromNanoseconds(999_999_999);
        yield return Instant.FromUtc(2024, 2, 29, 12, 0, 0);
        yield return Instant.FromUtc(2026, 3, 8, 7, 0, 0) + Duration.FromNanoseconds(1);
        yield return Instant.FromUtc(2026, 3, 8, 7, 0, 0) + Duration.FromNanoseconds(100);
        yield return Instant.FromUtc(2026, 3, 8, 7, 0, 0) + Duration.FromMilliseconds(250);
        yield return Instant.FromUnixTimeTicks(0);
        for (var i = 0; i < 20_000; i++)
        {
            // Any tick from year 1 to 9999, then a nanosecond part that is whole seconds, milliseconds, ticks or any.
            var ticks = random.NextInt64(Instant.FromUtc(1, 1, 1, 0, 0).ToUnixTimeTicks(), Instant.FromUtc(9999, 12, 31, 23, 59).ToUnixTimeTicks());
            var instant = Instant.FromUnixTimeTicks(ticks);
            yield return (i % 4) switch
            {
                0 => Instant.FromUnixTimeSeconds(instant.ToUnixTimeSeconds()),
                1 => Instant.FromUnixTimeMilliseconds(instant.ToUnixTimeMilliseconds()),
                2 => instant,
                _ => instant + Duration.FromNanoseconds(random.Next(0, 100)),
            };
        }
    }

    [Fact]
    public void Instants_are_written_exactly_as_the_extended_iso_pattern_writes_them_and_read_back_to_the_same_instant()
    {
        foreach (var instant in Samples())
        {
            var expected = InstantPattern.ExtendedIso.Format(instant);

            var json = JsonSerializer.Serialize(instant, Options);

            Assert.Equal("\"" + expected + "\"", json);
            Assert.Equal(instant, JsonSerializer.Deserialize<Instant>(json, Options));
        }
    }

    [Theory]
    [InlineData("2026-03-08T07:00:00Z")]
    [InlineData("2026-03-08T07:00:00.5Z")]
    [InlineData("2026-03-08T07:00:00.500Z")]
    [InlineData("2026-03-08T07:00:00.000000000Z")]
    [InlineData("2026-03-08T07:00:00.123456789Z")]
    [InlineData("2024-02-29T23:59:59Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("2026-02-29T00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-00-01T00:00:00Z")]
    [InlineData("2026-03-00T00:00:00Z")]
    [InlineData("2026-03-08T24:00:00Z")]
    [InlineData("2026-03-08T07:60:00Z")]
    [InlineData("2026-03-08T07:00:60Z")]
    [InlineData("2026-03-08T07:00:00.Z")]
    [InlineData("2026-03-08T07:00:00.1234567890Z")]
    [InlineData("2026-03-08T07:00:00")]
    [InlineData("2026-03-08T07:00Z")]
    [InlineData("2026-03-08 07:00:00Z")]
    [InlineData("2026-03-08T07:00:00+01:00")]
    [InlineData("2026-03-08T07:00:00z")]
    [InlineData("+2026-03-08T07:00:00Z")]
    [InlineData("2026-3-08T07:00:00Z")]
    [InlineData("2026-03-08T07:0a:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("-0001-01-01T00:00:00Z")]
    [InlineData("20260-03-08T07:00:00Z")]
    [InlineData("")]
    public void Instant_text_is_accepted_exactly_when_the_extended_iso_pattern_accepts_it_with_the_same_value(string text)
    {
        var expected = InstantPattern.ExtendedIso.Parse(text);
        var fastPath = IsoInstant.TryParse(Encoding.UTF8.GetBytes(text), out var fast);
        var json = JsonSerializer.Serialize(text);

        if (expected.Success)
        {
            Assert.Equal(expected.Value, JsonSerializer.Deserialize<Instant>(json, Options));
            Assert.True(!fastPath || fast == expected.Value, $"the fast path read {fast}, the pattern {expected.Value}");
        }
        else
        {
            Assert.False(fastPath, $"the fast path accepted {text}, which the pattern refuses");
            Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Instant>(json, Options));
        }
    }

    [Fact]
    public void The_shape_every_event_writes_is_read_and_written_without_the_pattern()
    {
        var instant = Instant.FromUtc(2026, 3, 8, 7, 0, 0) + Duration.FromMilliseconds(250);
        Span<byte> text = stackalloc byte[IsoInstant.MaxLength];

        Assert.True(IsoInstant.TryFormat(instant, text, out var written));
        Assert.Equal("2026-03-08T07:00:00.25Z", Encoding.UTF8.GetString(text[..written]));
        Assert.True(IsoInstant.TryParse(text[..written], out var read));
        Assert.Equal(instant, read);
    }

    [Fact]
    public void An_escaped_instant_string_is_read_through_the_pattern()
    {
        Assert.Equal(Instant.FromUtc(2026, 3, 8, 7, 0, 0), JsonSerializer.Deserialize<Instant>("\"2026-03-08T07:00:00\\u005A\"", Options));
    }
}
