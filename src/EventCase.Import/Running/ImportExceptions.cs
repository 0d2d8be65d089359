using System.Globalization;

namespace EventCase.Import.Running;

/// <summary>A file that cannot be imported at all: empty, not UTF-8 (UTF-16, UTF-32), or with a header naming a mapped
/// column more than once. Thrown before anything is written.</summary>
/// <param name="problem">What is wrong, as a sentence.</param>
public sealed class InvalidImportFileException(string problem) : Exception("Invalid import file: " + problem);

/// <summary>
/// An import that stopped part-way; the cause (the store's error, an unreadable file) is the inner exception. What it
/// committed before it stopped stays committed: <see cref="Completed"/> counts it, <see cref="FailedBatch"/> says which
/// rows failed, and running the import again resumes (what was committed then counts as already imported).
/// </summary>
public sealed class ImportFailedException : Exception
{
    internal ImportFailedException(string fileName, ImportSummary completed, long rowsRead, ImportBatch? failedBatch, long linesRead, Exception cause)
        : base(Describe(fileName, completed, rowsRead, failedBatch, linesRead, cause), cause)
    {
        Completed = completed;
        RowsRead = rowsRead;
        FailedBatch = failedBatch;
    }

    /// <summary>
    /// The rows whose outcome was final when the import stopped, counted as a finished import's summary counts them
    /// (<see cref="ImportSummary.RowsRead"/> is their number): committed (imported, flagged, updated), rejected into the
    /// report, or needing nothing (already imported, changed). <see cref="ImportSummary.EventsWritten"/> are committed.
    /// </summary>
    public ImportSummary Completed { get; }

    /// <summary>The rows read from the file when the import stopped; those beyond <see cref="Completed"/> were in the
    /// failed batch, in batches in flight, or not handed over yet, and were not written.</summary>
    public long RowsRead { get; }

    /// <summary>The batch whose append failed (the first in the file, if several did), or null when the import stopped
    /// for another reason (reading the file).</summary>
    public ImportBatch? FailedBatch { get; }

    private static string Describe(string fileName, ImportSummary completed, long rowsRead, ImportBatch? failed, long linesRead, Exception cause)
    {
        var where = failed is null
            ? string.Create(CultureInfo.InvariantCulture, $"after line {linesRead:N0}")
            : string.Create(CultureInfo.InvariantCulture, $"at batch {failed.Number:N0} ({failed.Cases:N0} cases, rows on lines {failed.FirstRow:N0}–{failed.LastRow:N0}), which failed");
        return string.Create(CultureInfo.InvariantCulture,
            $"The import of {fileName} stopped {where}: {cause.Message.TrimEnd('.', ' ')}. Done before it stopped: {completed.RowsRead:N0} of the {rowsRead:N0} rows read "
            + $"({completed.Imported:N0} imported, {completed.Flagged:N0} flagged, {completed.Updated:N0} updated, {completed.Rejected:N0} rejected, "
            + $"{completed.AlreadyImported:N0} already imported, {completed.Changed:N0} changed), {completed.EventsWritten:N0} events committed; "
            + $"the other {rowsRead - completed.RowsRead:N0} rows were not written. Importing the file again resumes: what was committed counts as already imported.");
    }
}

/// <summary>
/// An import stopped by its cancellation token (Ctrl-C in the CLI). Each batch is appended in one transaction, so what
/// was committed before the cancellation is whole cases and stays committed (<see cref="Completed"/> counts it), the
/// batches in flight were rolled back, and running the same import again resumes: the committed cases then count as
/// already imported, the others are imported. An <see cref="OperationCanceledException"/>, so callers that treat
/// cancellation as such need not know it.
/// </summary>
public sealed class ImportCancelledException : OperationCanceledException
{
    internal ImportCancelledException(string fileName, ImportSummary completed, long rowsRead, long linesRead, CancellationToken cancellationToken)
        : base(Describe(fileName, completed, rowsRead, linesRead), cancellationToken)
    {
        Completed = completed;
        RowsRead = rowsRead;
    }

    /// <summary>
    /// The rows whose outcome was final when the import was cancelled, counted as a finished import's summary counts
    /// them (<see cref="ImportSummary.RowsRead"/> is their number): committed (imported, flagged, updated), rejected into
    /// the report, or needing nothing (already imported, changed). <see cref="ImportSummary.EventsWritten"/> are committed.
    /// </summary>
    public ImportSummary Completed { get; }

    /// <summary>The rows read from the file when the import was cancelled; those beyond <see cref="Completed"/> were in
    /// batches in flight (rolled back) or not handed over yet, and were not written.</summary>
    public long RowsRead { get; }

    /// <summary>The cases committed before the cancellation: new ones (imported, flagged) and updated ones.</summary>
    public long CasesCommitted => Completed.Imported + Completed.Flagged + Completed.Updated;

    private static string Describe(string fileName, ImportSummary completed, long rowsRead, long linesRead)
    {
        var committed = completed.Imported + completed.Flagged + completed.Updated;
        var invariant = CultureInfo.InvariantCulture;
        return string.Create(invariant, $"The import of {fileName} was cancelled after line {linesRead:N0}: {committed:N0} cases were committed ")
            + string.Create(invariant, $"({completed.Imported:N0} imported, {completed.Flagged:N0} flagged, {completed.Updated:N0} updated; {completed.EventsWritten:N0} events), ")
            + string.Create(invariant, $"{completed.RowsRead - committed:N0} rows needed no writing ({completed.Rejected:N0} rejected, ")
            + string.Create(invariant, $"{completed.AlreadyImported:N0} already imported, {completed.Changed:N0} changed), ")
            + string.Create(invariant, $"and the other {rowsRead - completed.RowsRead:N0} of the {rowsRead:N0} rows read were not written. ")
            + "Running the same import again resumes: what was committed counts as already imported.";
    }
}

/// <summary>A batch of cases an import appends in one transaction.</summary>
/// <param name="Number">Its number, from 1, in file order.</param>
/// <param name="Cases">How many cases (rows) it holds.</param>
/// <param name="FirstRow">The line of its first row in the file.</param>
/// <param name="LastRow">The line of its last row in the file.</param>
public sealed record ImportBatch(long Number, int Cases, long FirstRow, long LastRow);
