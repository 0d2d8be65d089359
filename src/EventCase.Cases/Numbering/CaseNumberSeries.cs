using NodaTime;

namespace EventCase.Cases.Numbering;

/// <summary>
/// The sequence a case number is drawn from: one per agency and year. The prefix only formats the number
/// (<c>BOS</c> in <c>BOS-2026-000123</c>); the sequence is keyed by agency and year. Immutable.
/// </summary>
public sealed record CaseNumberSeries
{
    /// <summary>Creates a series.</summary>
    /// <param name="agency">The agency whose sequence it is.</param>
    /// <param name="prefix">The agency's prefix: 2–8 upper-case letters or digits, starting with a letter.</param>
    /// <param name="year">The year, 1900–9999.</param>
    /// <exception cref="ArgumentException">The prefix or the year is not acceptable in a <see cref="CaseNumber"/>.</exception>
    public CaseNumberSeries(AgencyId agency, string prefix, int year)
    {
        ArgumentNullException.ThrowIfNull(agency);
        _ = new CaseNumber(prefix, year, 1); // validates prefix and year with the case number's own rules
        Agency = agency;
        Prefix = prefix;
        Year = year;
    }

    /// <summary>The agency.</summary>
    public AgencyId Agency { get; }

    /// <summary>The prefix of the numbers.</summary>
    public string Prefix { get; }

    /// <summary>The year of the numbers.</summary>
    public int Year { get; }

    /// <summary>
    /// The series for a case opened at <paramref name="now"/>: the year is the agency's local year, so a call taken at
    /// 23:30 on 31 December in Boston gets a number of that year, not of the next one in UTC.
    /// </summary>
    public static CaseNumberSeries At(AgencyId agency, string prefix, Instant now, DateTimeZone zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return new CaseNumberSeries(agency, prefix, now.InZone(zone).Year);
    }

    /// <summary>
    /// The prefix an agency gets when none is configured: the letters and digits of its id, upper-cased, 2–8 of them,
    /// starting with a letter (<c>demo-city</c> → <c>DEMOCITY</c>, <c>7x</c> → <c>C7X</c>).
    /// </summary>
    public static string DefaultPrefix(AgencyId agency)
    {
        ArgumentNullException.ThrowIfNull(agency);
        var letters = new string([.. agency.Value.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant)]);
        letters = letters.Length == 0 || !char.IsAsciiLetter(letters[0]) ? "C" + letters : letters;
        return (letters.Length < 2 ? letters + "X" : letters)[..Math.Min(8, Math.Max(2, letters.Length))];
    }

    /// <summary>The number with <paramref name="sequence"/> in this series.</summary>
    public CaseNumber Number(int sequence) => new(Prefix, Year, sequence);
}
