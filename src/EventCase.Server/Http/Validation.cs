using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Server.Http;

/// <summary>Collects per-field errors while a request is turned into domain values.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    /// <summary>True when no error was found.</summary>
    public bool IsValid => _errors.Count == 0;

    /// <summary>Records an error.</summary>
    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>The 400 problem naming every failing field.</summary>
    public ProblemHttpResult Problem() =>
        Problems.Invalid(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));

    /// <summary>
    /// A required, non-blank text of at most <paramref name="maxLength"/> characters that <see cref="IsAcceptedText"/>
    /// (blank and not required: "").
    /// </summary>
    public string Text(string? value, string field, int maxLength = 4000, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Add(field, "is required.");
            }

            return "";
        }

        if (value.Length > maxLength)
        {
            Add(field, FormattableString.Invariant($"is at most {maxLength} characters."));
        }
        else
        {
            AcceptedCharacters(value, field);
        }

        return value;
    }

    /// <summary>
    /// Records an error for <paramref name="field"/> unless every character of <paramref name="value"/> is one
    /// <see cref="IsAcceptedText"/> allows; for input that is checked as it is, blank or not (list values, keys).
    /// </summary>
    public bool AcceptedCharacters(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsAcceptedText(value))
        {
            return true;
        }

        Add(field, UnacceptedCharacters);
        return false;
    }

    /// <summary>
    /// Records an error for <paramref name="field"/> unless <paramref name="value"/> is <see cref="IsAcceptedText"/> and
    /// one line: no line feed, carriage return or tab either. For values that name something, such as route values.
    /// </summary>
    public bool AcceptedLine(string value, string field)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsAcceptedText(value) && !value.Any(char.IsControl))
        {
            return true;
        }

        Add(field, UnacceptedCharacters);
        return false;
    }

    /// <summary>
    /// True when <paramref name="text"/> holds only characters the service can store and serve: no control characters
    /// but line feed, carriage return and tab, no Unicode noncharacters (U+FDD0–U+FDEF and the last two code points of
    /// every plane) and no unpaired surrogates.
    /// </summary>
    /// <remarks>
    /// Why these: PostgreSQL refuses NUL in <c>text</c> and <c>jsonb</c> (SQLSTATE 22021, 22P05), an unpaired surrogate
    /// cannot be encoded as UTF-8 at all, and an XML 1.0 document (Open311's <c>.xml</c> output) cannot contain the C0
    /// controls, U+FFFE or U+FFFF, not even as character references. The other noncharacters and the C1 controls are
    /// storable but are never text a person meant to send, and refusing them at the edge keeps them out of every
    /// output format for good.
    /// </remarks>
    public static bool IsAcceptedText(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]) || IsNoncharacter(char.ConvertToUtf32(c, text[i + 1])))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c) || (char.IsControl(c) && c is not '\n' and not '\r' and not '\t') || IsNoncharacter(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A required code of 1–<paramref name="maxLength"/> letters, digits, '-', '_' or '.': the characters of team ids and
    /// service codes, which stay one path segment as they are (for ids that are later route values).
    /// </summary>
    public string Code(string? value, string field, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            Add(field, "is required.");
            return "";
        }

        if (value.Length > maxLength)
        {
            Add(field, FormattableString.Invariant($"is at most {maxLength} characters."));
        }
        else if (!value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            Add(field, "may only contain letters, digits, '-', '_' and '.'.");
        }

        return value;
    }

    /// <summary>A required whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public int Number(int? value, string field, int min, int max)
    {
        if (value is not { } number)
        {
            Add(field, "is required.");
            return default;
        }

        if (number < min || number > max)
        {
            Add(field, FormattableString.Invariant($"must be a whole number from {min} to {max}."));
        }

        return number;
    }

    /// <summary>Parses an optional <c>true</c> or <c>false</c> query value (in any letter case).</summary>
    public bool? Boolean(string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        Add(field, "must be true or false.");
        return null;
    }

    /// <summary>
    /// The value of <typeparamref name="TEnum"/> whose camelCase name is <paramref name="text"/> (in any letter case),
    /// or null. Only the names of defined values match: not numbers, not comma-separated flag combinations.
    /// </summary>
    public static TEnum? NamedValue<TEnum>(string text)
        where TEnum : struct, Enum
    {
        foreach (var value in Enum.GetValues<TEnum>())
        {
            if (string.Equals(text, value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>A value object made by <paramref name="create"/>, which throws <see cref="ArgumentException"/> for a bad value.</summary>
    public T? Value<T>(string? value, string field, Func<string, T> create, bool required = true)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                Add(field, "is required.");
            }

            return null;
        }

        try
        {
            var created = create(value);
            // The value objects refuse control characters but not noncharacters or unpaired surrogates, which no text
            // that comes in may hold (docs/api.md): an agent id "a\uFFFF" was written into the case's events. Checked
            // after the value object, whose own message (a service code's characters) says more when both refuse.
            return AcceptedCharacters(value, field) ? created : null;
        }
        catch (ArgumentException e)
        {
            Add(field, e.Message.Split(" (Parameter", 2)[0]);
            return null;
        }
    }

    /// <summary>A required value type.</summary>
    public T Required<T>(T? value, string field)
        where T : struct
    {
        if (value is null)
        {
            Add(field, "is required.");
            return default;
        }

        return value.Value;
    }

    /// <summary>Parses an instant: ISO-8601 with Z or an offset, within years 1900–9999.</summary>
    public Instant? Instant(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var instant = InstantPattern.ExtendedIso.Parse(text);
        if (instant.Success)
        {
            return InRange(instant.Value, field);
        }

        var offset = OffsetDateTimePattern.ExtendedIso.Parse(text);
        if (offset.Success)
        {
            return InRange(offset.Value.ToInstant(), field);
        }

        // A '+' typed into a query string arrives as a space (form encoding): "…T14:00:00+01:00" unencoded reads
        // "…T14:00:00 01:00". A space cannot stand anywhere else in an instant, so it is read as the '+' it was.
        if (text.LastIndexOf(' ') is var space and > 0 && text.IndexOf(' ', StringComparison.Ordinal) == space
            && OffsetDateTimePattern.ExtendedIso.Parse(string.Concat(text.AsSpan(0, space), "+", text.AsSpan(space + 1))) is { Success: true } plus)
        {
            return InRange(plus.Value.ToInstant(), field);
        }

        Add(field, "is not an ISO-8601 instant such as 2026-03-03T14:00:00Z or 2026-03-03T09:00:00-05:00.");
        return null;
    }

    /// <summary>
    /// Records an error for <c>to</c> when both bounds of the half-open period [<paramref name="from"/>,
    /// <paramref name="to"/>) are given and it would be empty: a caller asking for it has the bounds the wrong way round,
    /// and an empty answer would pass for a clean record.
    /// </summary>
    public void PeriodEndsAfterStart(Instant? from, Instant? to)
    {
        if (from is { } start && to is { } end && end <= start)
        {
            Add("to", "must be after ?from= (the period is [from, to)).");
        }
    }

    /// <summary>Parses a positive integer query value.</summary>
    public long? Long(string? text, string field, long min, long max)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Add(field, FormattableString.Invariant($"must be a whole number from {min} to {max}."));
            return null;
        }

        return value;
    }

    /// <summary>What an error says of text that <see cref="IsAcceptedText"/> refuses.</summary>
    public const string UnacceptedCharacters = "must not contain control characters, Unicode noncharacters or unpaired surrogates.";

    private static bool IsNoncharacter(int codePoint) => codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE;

    private Instant? InRange(Instant instant, string field)
    {
        var year = instant.InUtc().Year;
        if (year is < 1900 or > 9999)
        {
            Add(field, "must be between the years 1900 and 9999.");
            return null;
        }

        return instant;
    }
}
