using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EventCase.EventStore.Serialization;

namespace EventCase.Cases.ReadModels.TransparencyStatistics;

/// <summary>
/// Writes transparency statistics for publication: CSV (RFC 4180, invariant culture, a header row, empty cells for
/// figures that do not apply, rates as fractions 0–1) and JSON (camelCase, dates as ISO <c>yyyy-MM-dd</c>).
/// </summary>
public static class TransparencyReport
{
    /// <summary>The CSV header, in column order.</summary>
    public static IReadOnlyList<string> CsvColumns { get; } =
    [
        "agency", "service", "granularity", "period_start", "period_end", "opened", "resolved", "closed", "backlog_at_end",
        "median_resolution_hours", "p90_resolution_hours", "median_business_resolution_hours", "p90_business_resolution_hours",
        "sla_compliance_rate", "reopen_rate", "average_satisfaction", "satisfaction_responses",
    ];

    private static readonly JsonSerializerOptions Json = CreateJsonOptions();

    /// <summary>Writes <paramref name="rows"/> as CSV, lines ending in CRLF as RFC 4180 asks.</summary>
    public static async Task WriteCsvAsync(TextWriter writer, IEnumerable<TransparencyStatisticsRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(rows);
        await writer.WriteAsync(new StringBuilder(string.Join(',', CsvColumns)).Append("\r\n"), cancellationToken);
        foreach (var row in rows)
        {
            var cells = new[]
            {
                Quote(row.Agency), Quote(row.Service), ReadModelText.Name(row.Granularity),
                row.PeriodStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), row.PeriodEnd.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                N(row.Opened), N(row.Resolved), N(row.Closed), N(row.BacklogAtEnd),
                N(row.MedianResolutionHours), N(row.P90ResolutionHours), N(row.MedianBusinessResolutionHours), N(row.P90BusinessResolutionHours),
                N(row.SlaComplianceRate), N(row.ReopenRate), N(row.AverageSatisfaction), N(row.SatisfactionResponses),
            };
            await writer.WriteAsync(new StringBuilder(string.Join(',', cells)).Append("\r\n"), cancellationToken);
        }
    }

    /// <summary>The rows as CSV text.</summary>
    public static string ToCsv(IEnumerable<TransparencyStatisticsRow> rows)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteCsvAsync(writer, rows).GetAwaiter().GetResult();
        return writer.ToString();
    }

    /// <summary>Writes <paramref name="rows"/> as a JSON array.</summary>
    public static Task WriteJsonAsync(Stream stream, IEnumerable<TransparencyStatisticsRow> rows, CancellationToken cancellationToken = default) =>
        JsonSerializer.SerializeAsync(stream, rows, Json, cancellationToken);

    /// <summary>The rows as JSON text.</summary>
    public static string ToJson(IEnumerable<TransparencyStatisticsRow> rows) => JsonSerializer.Serialize(rows, Json);

    // Rounded to 4 decimals: enough for hours and rates, and stable across platforms' last-digit differences.
    private static string N(double? value) => value is { } v ? Math.Round(v, 4).ToString("0.####", CultureInfo.InvariantCulture) : string.Empty;

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string text)
    {
        // A cell a spreadsheet would run as a formula (CSV injection: a code such as "-A1+B1" is a valid service code)
        // is kept text with a ' in front, as the audit export does; a code never starts with ' itself.
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\'')
        {
            text = "'" + text;
        }

        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        // A figure that does not apply (no resolutions: no median) is left out, as the HTTP API leaves it out: the same
        // statistics read the same from the command line and the service.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.AddNodaTimeConverters();
        return options;
    }
}
