using EventCase.EventStore;
using EventCase.EventStore.Auditing;
using EventCase.Server.Auth;
using EventCase.Server.Cases;
using EventCase.Server.Hosting;
using EventCase.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using NodaTime;
using NodaTime.Text;

namespace EventCase.Server.Reports;

/// <summary>
/// The audit exports over HTTP: a case's whole stream, or every event of the caller's agency recorded in a period, as
/// <see cref="AuditExporter"/> writes them for <c>eventcase audit export</c> (each event with its hash and the hash it
/// chains from), so that an auditor without database access checks the chains offline with
/// <see cref="AuditExportReader"/>. The body is streamed as the exporter reads, in constant memory: nothing is buffered.
/// </summary>
internal static class AuditExports
{
    /// <summary>
    /// The media type of JSON Lines: <c>application/x-ndjson</c>, the name most tools know newline-delimited JSON by
    /// (there is no registered one); always UTF-8.
    /// </summary>
    public const string JsonLinesMediaType = "application/x-ndjson";

    /// <summary>The media type of the CSV export.</summary>
    public const string CsvMediaType = "text/csv; charset=utf-8";

    // Compact, with no ':' (which Windows does not allow in a file name); the fraction only when there is one.
    private static readonly InstantPattern FileNameInstant = InstantPattern.CreateWithInvariantCulture("uuuuMMdd'T'HHmmss.FFFFFFFFF'Z'");

    /// <summary><c>GET /audit/cases/{id}/export?format=jsonl|csv</c>.</summary>
    public static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> ExportCaseAsync(
        string id, HttpContext http, EventCaseDatabase database, string? format, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        var exportFormat = Format(v, format);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        if (!CaseAccess.TryParseId(id, out var caseId))
        {
            return Problems.NotFoundCase(id);
        }

        // As for the verification: a case whose first event or stream row was altered away is exactly what an auditor
        // must be able to take home, so only a case with neither a stream row nor events is absent. Neither lookup
        // deserializes an event: an altered one may no longer read as its type, and is still to be exported as stored.
        var stream = new StreamName(caller.Agency.Value, caseId.Value);
        if (await database.Store.GetStreamInfoAsync(stream, cancellationToken) is null
            && (await database.Store.ReadEventIdsAsync([stream], cancellationToken)).Count == 0)
        {
            return Problems.NotFoundCase(id);
        }

        // Named by the case id, not its number: the id is what every line's streamId holds, and it needs no event read.
        return TypedResults.Stream(
            body => new AuditExporter(database.Store).ExportStreamAsync(stream, exportFormat, body, cancellationToken),
            MediaType(exportFormat),
            FileName(caller.Agency.Value, caseId.Value, exportFormat));
    }

    /// <summary><c>GET /audit/export?from=&amp;to=&amp;format=jsonl|csv</c>.</summary>
    public static Results<PushStreamHttpResult, ProblemHttpResult> ExportPeriod(
        HttpContext http, EventCaseDatabase database, string? from, string? to, string? format, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var v = new Validation();
        // Both bounds are required, unlike the actor trail's: an export is evidence of a stated period, and a default
        // (the last month? the agency's whole history?) would make the file say less than its name seems to. The command
        // line's --from and --to go together for the same reason.
        var start = Required(v, from, "from");
        var end = Required(v, to, "to");
        v.PeriodEndsAfterStart(start, end);
        var exportFormat = Format(v, format);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var tenant = caller.Agency.Value;
        var period = FileNameInstant.Format(start!.Value) + "-" + FileNameInstant.Format(end!.Value);
        return TypedResults.Stream(
            body => new AuditExporter(database.Store).ExportTenantAsync(tenant, start.Value, end.Value, exportFormat, body, cancellationToken),
            MediaType(exportFormat),
            FileName(tenant, period, exportFormat));
    }

    private static Instant? Required(Validation v, string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            v.Add(field, "is required.");
            return null;
        }

        return v.Instant(text, field);
    }

    /// <summary>What <c>?format=</c> takes, for the OpenAPI document: as <see cref="Format"/> reads it.</summary>
    public static QueryType FormatType { get; } = QueryType.OneOf(["jsonl", "csv"], defaultValue: "jsonl");

    /// <summary>What <c>?format=</c> means, for the OpenAPI document.</summary>
    public const string FormatDescription = "The file's format: jsonl (default, application/x-ndjson) or csv (text/csv), in any letter case.";

    private static AuditExportFormat Format(Validation v, string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || string.Equals(text, "jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return AuditExportFormat.JsonLines;
        }

        if (string.Equals(text, "csv", StringComparison.OrdinalIgnoreCase))
        {
            return AuditExportFormat.Csv;
        }

        v.Add("format", "must be jsonl or csv.");
        return AuditExportFormat.JsonLines;
    }

    private static string MediaType(AuditExportFormat format) => format == AuditExportFormat.Csv ? CsvMediaType : JsonLinesMediaType;

    /// <summary>
    /// <c>audit-{agency}-{what}.{jsonl|csv}</c>. Agency ids, case ids and the compact instants are letters,
    /// digits, '-', '_' and '.' only, so the name is safe as it is; anything else would be replaced, should that change.
    /// </summary>
    private static string FileName(string agency, string what, AuditExportFormat format) =>
        string.Concat(Safe("audit-" + agency + "-" + what), format == AuditExportFormat.Csv ? ".csv" : ".jsonl");

    private static string Safe(string name) =>
        string.Create(name.Length, name, (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_';
            }
        });
}
