using NodaTime;
using NodaTime.Text;
using NodaTime.TimeZones;

namespace EventCase.Import.Synthesis;

/// <summary>
/// Parses a source's offset-less wall-clock timestamps and attaches the city's zone. A local time in a DST gap is
/// shifted forward by the gap's length, and one in a DST overlap takes the earlier of its two instants (NodaTime's
/// lenient resolution, which is deterministic); both cases are reported so the row is flagged. Immutable; thread safe.
/// </summary>
internal sealed class SourceTimestamps
{
    private readonly LocalDateTimePattern[] _patterns;

    public SourceTimestamps(string zoneId, IEnumerable<string> formats)
    {
        Zone = DateTimeZoneProviders.Tzdb[zoneId];
        _patterns = formats.Select(LocalDateTimePattern.CreateWithInvariantCulture).ToArray();
    }

    public DateTimeZone Zone { get; }

    /// <summary>The instant of <paramref name="text"/>, or null when no format matches.</summary>
    public ParsedTimestamp? Parse(string text)
    {
        foreach (var pattern in _patterns)
        {
            var result = pattern.Parse(text);
            if (!result.Success)
            {
                continue;
            }

            var local = result.Value;
            var mapping = Zone.MapLocal(local);
            var resolution = mapping.Count switch
            {
                0 => LocalResolution.Skipped,
                1 => LocalResolution.Unique,
                _ => LocalResolution.Ambiguous,
            };
            return new ParsedTimestamp(local, Resolvers.LenientResolver(mapping).ToInstant(), resolution);
        }

        return null;
    }
}

internal enum LocalResolution
{
    Unique,
    Skipped,
    Ambiguous,
}

internal readonly record struct ParsedTimestamp(LocalDateTime Local, Instant Instant, LocalResolution Resolution);
