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

    /// <summary>The instant of <paramref name="text"/>, or null when no format matches or it has no instant.</summary>
    public ParsedTimestamp? Parse(string text) => Parse(text, out _);

    /// <summary>The instant of <paramref name="text"/>, or null when no format matches (<paramref name="outOfRange"/>
    /// false) or when one does but the local time has no instant NodaTime can represent (<paramref name="outOfRange"/>
    /// true: the last hours of 9999 in a zone west of UTC are in the year 10000 there).</summary>
    public ParsedTimestamp? Parse(string text, out bool outOfRange)
    {
        outOfRange = false;
        foreach (var pattern in _patterns)
        {
            var result = pattern.Parse(text);
            if (!result.Success)
            {
                continue;
            }

            var local = result.Value;
            try
            {
                var mapping = Zone.MapLocal(local);
                var resolution = mapping.Count switch
                {
                    0 => LocalResolution.Skipped,
                    1 => LocalResolution.Unique,
                    _ => LocalResolution.Ambiguous,
                };
                return new ParsedTimestamp(local, Resolvers.LenientResolver(mapping).ToInstant(), resolution);
            }
            catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
            {
                // One row's date must not stop the import (it did: the reader died and the import with it).
                outOfRange = true;
                return null;
            }
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
