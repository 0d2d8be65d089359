using System.Globalization;
using CsvHelper;

namespace EventCase.Import.Tests.Support;

/// <summary>Rows in Boston's format, made from the real file's first lines with some fields changed, for small files
/// that show one behaviour each.</summary>
internal static class BostonRows
{
    private static readonly Lazy<string[]> Lines = new(() => File.ReadLines(SourceFiles.PathOf(SourceFiles.Boston)).Take(101).ToArray());

    /// <summary>The header line.</summary>
    public static string Header => Lines.Value[0];

    /// <summary>The file's line <paramref name="line"/> (2–101), with <paramref name="changes"/> made to it.</summary>
    public static string Line(int line, params (string Column, string Value)[] changes)
    {
        if (changes.Length == 0)
        {
            return Lines.Value[line - 1];
        }

        var columns = Split(Header);
        var fields = Split(Lines.Value[line - 1]);
        foreach (var (column, value) in changes)
        {
            var index = Array.IndexOf(columns, column);
            Assert.True(index >= 0, $"Boston has no column {column}");
            fields[index] = value;
        }

        return Join(fields);
    }

    /// <summary>A file of the header and <paramref name="rows"/>, one per line.</summary>
    public static string Csv(params string[] rows) => string.Join('\n', [Header, .. rows]) + "\n";

    /// <summary>The fields of one CSV line, split by CsvHelper (not by the importer's reader).</summary>
    public static string[] Split(string line)
    {
        using var parser = new CsvParser(new StringReader(line), CultureInfo.InvariantCulture);
        parser.Read();
        return parser.Record!;
    }

    private static string Join(string[] fields)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
        {
            foreach (var field in fields)
            {
                csv.WriteField(field);
            }
        }

        return writer.ToString();
    }
}
