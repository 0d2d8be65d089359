using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

namespace EventCase.EventStore.Serialization;

/// <summary>
/// System.Text.Json converters for the NodaTime types events and read models use. Written here because the
/// NodaTime serialization package is not in our registry. Every format is invariant and round-trips exactly:
/// <list type="bullet">
/// <item><see cref="Instant"/>: ISO-8601 UTC with up to nanoseconds, <c>2026-03-08T07:00:00Z</c>.</item>
/// <item><see cref="LocalDate"/>: <c>2026-03-08</c>; <see cref="LocalTime"/>: <c>08:30:00</c> (fraction when non-zero).</item>
/// <item><see cref="LocalDateTime"/>: <c>2026-03-08T08:30:00</c>.</item>
/// <item><see cref="Duration"/>: roundtrip pattern <c>-D:hh:mm:ss.fffffffff</c>, e.g. <c>1:02:00:00</c>.</item>
/// <item><see cref="Period"/>: ISO-8601 period, <c>P3DT4H</c>.</item>
/// <item><see cref="DateTimeZone"/>: the IANA id, <c>America/New_York</c>, resolved against TZDB.</item>
/// </list>
/// The converters are stateless and thread safe.
/// </summary>
public static class NodaTimeJsonConverters
{
    /// <summary>All converters, ready to add to <see cref="JsonSerializerOptions.Converters"/>.</summary>
    public static IReadOnlyList<JsonConverter> All { get; } =
    [
        new InstantConverter(),
        new PatternConverter<LocalDate>(LocalDatePattern.Iso),
        new PatternConverter<LocalTime>(LocalTimePattern.ExtendedIso),
        new PatternConverter<LocalDateTime>(LocalDateTimePattern.ExtendedIso),
        new PatternConverter<Duration>(DurationPattern.Roundtrip),
        new PatternConverter<Period>(PeriodPattern.Roundtrip),
        new DateTimeZoneConverter(),
    ];

    /// <summary>Adds every NodaTime converter to <paramref name="options"/> and returns it.</summary>
    public static JsonSerializerOptions AddNodaTimeConverters(this JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var converter in All)
        {
            options.Converters.Add(converter);
        }

        return options;
    }

    private sealed class PatternConverter<T>(IPattern<T> pattern) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"Expected a string holding a {typeof(T).Name}, found {reader.TokenType}.");
            }

            var text = reader.GetString()!;
            var result = pattern.Parse(text);
            return result.Success
                ? result.Value
                : throw new JsonException($"'{text}' is not a valid {typeof(T).Name}: {result.Exception.Message}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(pattern.Format(value));
    }

    /// <summary>
    /// Instants are in every event, so they are read and written by hand in the common shape
    /// (<c>uuuu-MM-ddTHH:mm:ss[.F…]Z</c>, years 1–9999), which is several times faster than the pattern and allocates
    /// nothing; anything else (an escaped string, another year) goes to <see cref="InstantPattern.ExtendedIso"/>, which
    /// also gives the errors. Both ways read and write exactly the same text; a test compares them.
    /// </summary>
    private sealed class InstantConverter : JsonConverter<Instant>
    {
        private static readonly PatternConverter<Instant> Pattern = new(InstantPattern.ExtendedIso);

        public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence
                && IsoInstant.TryParse(reader.ValueSpan, out var instant)
                ? instant
                : Pattern.Read(ref reader, typeToConvert, options);

        public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options)
        {
            Span<byte> text = stackalloc byte[IsoInstant.MaxLength];
            if (IsoInstant.TryFormat(value, text, out var written))
            {
                writer.WriteStringValue(text[..written]);
            }
            else
            {
                Pattern.Write(writer, value, options);
            }
        }
    }

    private sealed class DateTimeZoneConverter : JsonConverter<DateTimeZone>
    {
        public override DateTimeZone Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"Expected a string holding an IANA time zone id, found {reader.TokenType}.");
            }

            var id = reader.GetString()!;
            return DateTimeZoneProviders.Tzdb.GetZoneOrNull(id)
                ?? throw new JsonException($"'{id}' is not a known IANA time zone id.");
        }

        public override void Write(Utf8JsonWriter writer, DateTimeZone value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Id);
    }
}
