using NodaTime;

namespace EventCase.EventStore.Serialization;

/// <summary>
/// The extended ISO-8601 text of an <see cref="Instant"/> in UTF-8, as <c>InstantPattern.ExtendedIso</c> writes it
/// (<c>2026-03-08T07:00:00Z</c>, <c>2026-03-08T07:00:00.25Z</c>: up to nine fraction digits, trailing zeros dropped),
/// for years 1 to 9999. Reading accepts exactly that shape (any 1–9 fraction digits) and nothing the pattern would not;
/// the caller falls back to the pattern for everything else.
/// </summary>
internal static class IsoInstant
{
    /// <summary>The longest text: <c>uuuu-MM-ddTHH:mm:ss.fffffffffZ</c>.</summary>
    public const int MaxLength = 30;

    public static bool TryParse(ReadOnlySpan<byte> text, out Instant instant)
    {
        instant = default;
        if (text.Length is < 20 or > MaxLength || text.Length == 21 || text[^1] != (byte)'Z'
            || text[4] != (byte)'-' || text[7] != (byte)'-' || text[10] != (byte)'T' || text[13] != (byte)':' || text[16] != (byte)':')
        {
            return false;
        }

        if (!TryDigits(text.Slice(0, 4), out var year) || !TryDigits(text.Slice(5, 2), out var month)
            || !TryDigits(text.Slice(8, 2), out var day) || !TryDigits(text.Slice(11, 2), out var hour)
            || !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        long nanoseconds = 0;
        if (text.Length > 20)
        {
            // Shape "….ss.F{1,9}Z": a dot, then digits up to the Z.
            var fraction = text[20..^1];
            if (text[19] != (byte)'.' || !TryDigits(fraction, out var digits))
            {
                return false;
            }

            nanoseconds = digits;
            for (var i = fraction.Length; i < 9; i++)
            {
                nanoseconds *= 10;
            }
        }
        else if (text[19] != (byte)'Z')
        {
            return false;
        }

        instant = Instant.FromUtc(year, month, day, hour, minute, second).PlusNanoseconds(nanoseconds);
        return true;
    }

    public static bool TryFormat(Instant instant, Span<byte> destination, out int written)
    {
        written = 0;
        var utc = instant.InUtc();
        if (utc.Year is < 1 or > 9999 || destination.Length < MaxLength)
        {
            return false;
        }

        Write4(destination, utc.Year);
        destination[4] = (byte)'-';
        Write2(destination[5..], utc.Month);
        destination[7] = (byte)'-';
        Write2(destination[8..], utc.Day);
        destination[10] = (byte)'T';
        Write2(destination[11..], utc.Hour);
        destination[13] = (byte)':';
        Write2(destination[14..], utc.Minute);
        destination[16] = (byte)':';
        Write2(destination[17..], utc.Second);
        written = 19;
        var nanoseconds = utc.NanosecondOfSecond;
        if (nanoseconds != 0)
        {
            destination[written++] = (byte)'.';
            var digits = 9;
            while (nanoseconds % 10 == 0)
            {
                nanoseconds /= 10;
                digits--;
            }

            for (var i = digits - 1; i >= 0; i--)
            {
                destination[written + i] = (byte)('0' + (nanoseconds % 10));
                nanoseconds /= 10;
            }

            written += digits;
        }

        destination[written++] = (byte)'Z';
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var b in text)
        {
            var digit = b - (byte)'0';
            if ((uint)digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    private static void Write2(Span<byte> destination, int value)
    {
        destination[0] = (byte)('0' + (value / 10));
        destination[1] = (byte)('0' + (value % 10));
    }

    private static void Write4(Span<byte> destination, int value)
    {
        Write2(destination, value / 100);
        Write2(destination[2..], value % 100);
    }
}
