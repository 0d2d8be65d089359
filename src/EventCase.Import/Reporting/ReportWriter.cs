using System.Globalization;
using CsvHelper;
using EventCase.Import.Synthesis;

namespace EventCase.Import.Reporting;

/// <summary>
/// The data-quality report of an import, as CSV (<c>row,source_id,disposition,rule,reason</c>): one line per rule a
/// row broke, with disposition <c>rejected</c> (the row was not imported) or <c>flagged</c> (imported with the flag
/// recorded on its opened event). Rows are numbered by their line in the file (the header is line 1).
/// </summary>
internal sealed class ReportWriter : IAsyncDisposable
{
    private readonly StreamWriter _text;
    private readonly CsvWriter _csv;

    public ReportWriter(string path)
    {
        _text = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        _csv = new CsvWriter(_text, CultureInfo.InvariantCulture);
        foreach (var header in (ReadOnlySpan<string>)["row", "source_id", "disposition", "rule", "reason"])
        {
            _csv.WriteField(header);
        }

        _csv.NextRecord();
    }

    public void Write(SynthesizedRow row)
    {
        var disposition = row.IsRejected ? "rejected" : "flagged";
        foreach (var finding in row.Findings)
        {
            _csv.WriteField(row.Row.ToString(CultureInfo.InvariantCulture));
            _csv.WriteField(row.SourceId);
            _csv.WriteField(disposition);
            _csv.WriteField(finding.Rule);
            _csv.WriteField(finding.Reason);
            _csv.NextRecord();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _csv.DisposeAsync();
        await _text.DisposeAsync();
    }
}
