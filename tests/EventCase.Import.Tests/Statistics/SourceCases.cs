using System.Globalization;
using System.Text;

namespace EventCase.Import.Tests.Statistics;

/// <summary>One Boston row as the statistics checks see it, read with no help from the importer.</summary>
/// <param name="Type">TYPE, verbatim.</param>
/// <param name="OpenLocal">OPEN_DT, wall clock.</param>
/// <param name="Opened">OPEN_DT in UTC.</param>
/// <param name="ClosedLocal">CLOSED_DT, wall clock, for a Closed row.</param>
/// <param name="Closed">CLOSED_DT in UTC, for a Closed row.</param>
/// <param name="Due">TARGET_DT in UTC, if given.</param>
internal sealed record SourceCase(string Type, DateTime OpenLocal, DateTime Opened, DateTime? ClosedLocal, DateTime? Closed, DateTime? Due)
{
    public static readonly TimeZoneInfo Boston = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    /// <summary>The cases of the CSV lines (header first), leaving out the rows the mapping rejects (closed before opened).</summary>
    public static List<SourceCase> FromCsv(IReadOnlyList<string> lines)
    {
        var header = SplitCsv(lines[0]);
        int Column(string name) => Array.IndexOf(header, name);
        int type = Column("TYPE"), open = Column("OPEN_DT"), target = Column("TARGET_DT"), closed = Column("CLOSED_DT"), status = Column("CASE_STATUS");
        var cases = new List<SourceCase>();
        foreach (var line in lines.Skip(1))
        {
            var f = SplitCsv(line);
            var openLocal = Local(f[open]);
            DateTime? closeLocal = f[status] == "Closed" && f[closed].Length > 0 ? Local(f[closed]) : null;
            var item = new SourceCase(f[type], openLocal, ToUtc(openLocal), closeLocal, closeLocal is { } c ? ToUtc(c) : null,
                f[target].Length > 0 ? ToUtc(Local(f[target])) : null);
            if (item.Closed < item.Opened)
            {
                continue; // rejected by the mapping (close-before-open)
            }

            cases.Add(item);
        }

        return cases;
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the middle two for an even count), null for none.</summary>
    public static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? null
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static string Month(DateTime local) => local.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static DateTime Local(string text) =>
        DateTime.ParseExact(text, "MM/dd/yyyy hh:mm:ss tt", CultureInfo.InvariantCulture, DateTimeStyles.None);

    /// <summary>Wall clock to UTC, by the rule docs/import.md states: a time in a DST gap moves forward by the gap (an
    /// hour here), a time in the overlap takes the earlier instant (the daylight offset, the larger one).</summary>
    public static DateTime ToUtc(DateTime local)
    {
        if (Boston.IsInvalidTime(local))
        {
            return TimeZoneInfo.ConvertTimeToUtc(local.AddHours(1), Boston);
        }

        var offset = Boston.IsAmbiguousTime(local) ? Boston.GetAmbiguousTimeOffsets(local).Max() : Boston.GetUtcOffset(local);
        return DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
    }

    /// <summary>RFC 4180 fields of one line (no embedded newlines in these files).</summary>
    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }
}
