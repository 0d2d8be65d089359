using NodaTime;
using NodaTime.Text;
using NodaTime.TimeZones;

namespace EventCase.Import.Synthesis;

/// <summary>
/// Parses a source's timestamps. A format with an offset (<c>o&lt;G&gt;</c>: <c>Z</c>, <c>-05:00</c>) gives its
/// instant as written. An offset-less wall-clock time is placed in the city's zone: a local time in a DST gap is
/// shifted forward by the gap's length, and one in a DST overlap takes the earlier of its two instants (NodaTime's
/// lenient resolution, which is deterministic); both cases are reported so the row is flagged. Immutable; thread safe.
/// </summary>
internal sealed class SourceTimestamps
{
    private readonly TimestampFormat[] _formats;

    public SourceTimestamps(string zoneId, IEnumerable<string> formats)
    {
        Zone = DateTimeZoneProviders.Tzdb[zoneId];
        _formats = formats.Select(TimestampFormat.Create).ToArray();
    }

    public DateTimeZone Zone { get; }

    /// <summary>The instant of <paramref name="text"/>, or null when no format matches or it has no instant.</summary>
    public ParsedTimestamp? Parse(string text) => Parse(text, out _);

    /// <summary>The instant of <paramref name="text"/>, or null when no format matches (<paramref name="outOfRange"/>
    /// false) or when one does but the time has no instant NodaTime can represent (<paramref name="outOfRange"/>
    /// true: the last hours of 9999 in a zone west of UTC are in the year 10000 there).</summary>
    public ParsedTimestamp? Parse(string text, out bool outOfRange)
    {
        outOfRange = false;
        foreach (var format in _formats)
        {
            try
            {
                if (format.Offset is { } offsetPattern)
                {
                    var written = offsetPattern.Parse(text);
                    if (written.Success)
                    {
                        // The source said which instant it means; the city's zone only gives the local date (the case
                        // number's year, and what the reports show).
                        var instant = written.Value.ToInstant();
                        return new ParsedTimestamp(instant.InZone(Zone).LocalDateTime, instant, LocalResolution.Unique);
                    }

                    continue;
                }

                var result = format.Local!.Parse(text);
                if (!result.Success)
                {
                    continue;
                }

                var mapping = Zone.MapLocal(result.Value);
                var resolution = mapping.Count switch
                {
                    0 => LocalResolution.Skipped,
                    1 => LocalResolution.Unique,
                    _ => LocalResolution.Ambiguous,
                };
                return new ParsedTimestamp(result.Value, Resolvers.LenientResolver(mapping).ToInstant(), resolution);
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

/// <summary>
/// One entry of a mapping's <c>timestampFormats</c>: a NodaTime <see cref="LocalDateTimePattern"/> text, or an
/// <see cref="OffsetDateTimePattern"/> text when it reads an offset (<c>o&lt;…&gt;</c>).
/// </summary>
internal sealed record TimestampFormat(LocalDateTimePattern? Local, OffsetDateTimePattern? Offset)
{
    /// <summary>The pattern <paramref name="text"/> describes.</summary>
    /// <exception cref="InvalidPatternException">It is neither kind of pattern; the message is the likelier kind's.</exception>
    public static TimestampFormat Create(string text)
    {
        try
        {
            return new TimestampFormat(LocalDateTimePattern.CreateWithInvariantCulture(text), null);
        }
        catch (InvalidPatternException) when (text.Contains("o<", StringComparison.Ordinal))
        {
            return new TimestampFormat(null, OffsetDateTimePattern.CreateWithInvariantCulture(text));
        }
    }
}

internal enum LocalResolution
{
    Unique,
    Skipped,
    Ambiguous,
}

internal readonly record struct ParsedTimestamp(LocalDateTime Local, Instant Instant, LocalResolution Resolution);
