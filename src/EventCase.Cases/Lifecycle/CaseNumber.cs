using System.Globalization;
using System.Text.Json.Serialization;

namespace EventCase.Cases;

/// <summary>
/// The human-readable number citizens quote on the phone: an agency prefix, the year and a sequence within the
/// agency and year, written <c>BOS-2026-000123</c> (the sequence has at least six digits). The number is assigned by
/// the caller (from a per-agency sequence) and carried on the open command and event; the domain never draws one.
/// Immutable and thread safe.
/// </summary>
[JsonConverter(typeof(StringValueJsonConverter<CaseNumber>))]
public sealed record CaseNumber : IStringValue<CaseNumber>
{
    /// <summary>Creates a case number.</summary>
    /// <param name="prefix">2–8 upper-case ASCII letters or digits, starting with a letter (e.g. <c>BOS</c>).</param>
    /// <param name="year">The year, 1900–9999.</param>
    /// <param name="sequence">The sequence within agency and year, 1–999 999 999.</param>
    /// <exception cref="ArgumentException">A part is out of range.</exception>
    public CaseNumber(string prefix, int year, int sequence)
    {
        if (!IsValidPrefix(prefix))
        {
            throw new ArgumentException($"A case number prefix is 2–8 upper-case letters or digits starting with a letter; '{prefix}' is not.", nameof(prefix));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(year, 1900);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(year, 9999);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, 999_999_999);
        Prefix = prefix;
        Year = year;
        Sequence = sequence;
    }

    /// <summary>The agency prefix, e.g. <c>BOS</c>.</summary>
    public string Prefix { get; }

    /// <summary>The year the number was drawn in.</summary>
    public int Year { get; }

    /// <summary>The sequence within agency and year.</summary>
    public int Sequence { get; }

    /// <summary>The formatted number, <c>BOS-2026-000123</c>.</summary>
    public string Value => string.Create(CultureInfo.InvariantCulture, $"{Prefix}-{Year:D4}-{Sequence:D6}");

    /// <summary>Parses <c>BOS-2026-000123</c>.</summary>
    /// <exception cref="ArgumentException">The text is not a case number.</exception>
    public static CaseNumber Parse(string text) =>
        TryParse(text, out var number)
            ? number
            : throw new ArgumentException($"'{text}' is not a case number like BOS-2026-000123.", nameof(text));

    /// <summary>Parses <c>BOS-2026-000123</c>, returning false instead of throwing.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CaseNumber? number)
    {
        number = null;
        if (text is null)
        {
            return false;
        }

        var parts = text.Split('-');
        if (parts.Length != 3 || !IsValidPrefix(parts[0]) || parts[1].Length != 4 || parts[2].Length < 6
            || !parts[1].All(char.IsAsciiDigit) || !parts[2].All(char.IsAsciiDigit)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || year < 1900 || sequence < 1 || sequence > 999_999_999
            || (parts[2].Length > 6 && parts[2][0] == '0'))
        {
            return false;
        }

        number = new CaseNumber(parts[0], year, sequence);
        return true;
    }

    /// <inheritdoc />
    static CaseNumber IStringValue<CaseNumber>.From(string value) => Parse(value);

    /// <inheritdoc />
    public override string ToString() => Value;

    private static bool IsValidPrefix(string? prefix) =>
        prefix is { Length: >= 2 and <= 8 }
        && char.IsAsciiLetterUpper(prefix[0])
        && prefix.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c));
}
