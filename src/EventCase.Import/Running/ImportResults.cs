using NodaTime;

namespace EventCase.Import.Running;

/// <summary>What one import did. Invariant: <see cref="RowsRead"/> = <see cref="Imported"/> + <see cref="Flagged"/> +
/// <see cref="Rejected"/> + <see cref="AlreadyImported"/> + <see cref="Updated"/> + <see cref="Changed"/>.</summary>
/// <param name="RowsRead">Data rows read (the header not counted).</param>
/// <param name="Imported">Rows imported clean (a new case stream each).</param>
/// <param name="Flagged">Rows imported with at least one data-quality flag recorded.</param>
/// <param name="Rejected">Rows not imported (listed in the rejects report).</param>
/// <param name="AlreadyImported">Rows whose case an earlier run already imported as the row still has it: the same
/// events with the same data (nothing was added).</param>
/// <param name="EventsWritten">Events appended by this run.</param>
/// <param name="Elapsed">Wall time from opening the file to the last commit.</param>
/// <param name="RejectsByRule">Rejected rows per rule (a row rejected for several rules counts under each).</param>
/// <param name="FlagsByRule">Flags per rule (a row flagged for several rules counts under each).</param>
public sealed record ImportSummary(
    long RowsRead,
    long Imported,
    long Flagged,
    long Rejected,
    long AlreadyImported,
    long EventsWritten,
    Duration Elapsed,
    IReadOnlyDictionary<string, long> RejectsByRule,
    IReadOnlyDictionary<string, long> FlagsByRule)
{
    /// <summary>How many of the changed cases' source ids <see cref="ChangedSourceIds"/> lists at most.</summary>
    public const int ChangedSourceIdsListed = 100;

    /// <summary>
    /// Rows whose case an earlier run imported with fewer events, all of them as the row still has them: a newer export
    /// in which the case moved on (say from open to closed). The events it gained, which the case's decider allows
    /// after the stored ones, were appended after them.
    /// </summary>
    public long Updated { get; init; }

    /// <summary>
    /// Rows whose case changed since it was imported (an agent worked on it, or the source's past of it differs from
    /// what was imported, e.g. a case cancelled then and closed now): nothing was appended, the case stays as it is.
    /// </summary>
    public long Changed { get; init; }

    /// <summary>The source ids of the first <see cref="ChangedSourceIdsListed"/> changed cases.</summary>
    public IReadOnlyList<string> ChangedSourceIds { get; init; } = [];

    /// <summary>Events written per second of wall time.</summary>
    public double EventsPerSecond => Elapsed > Duration.Zero ? EventsWritten / Elapsed.TotalSeconds : 0;

    /// <summary>Rows read per second of wall time.</summary>
    public double RowsPerSecond => Elapsed > Duration.Zero ? RowsRead / Elapsed.TotalSeconds : 0;
}

/// <summary>How far an import has got, reported to a progress callback (a CLI renders it as a progress bar).</summary>
/// <param name="RowsRead">Rows read from the file so far.</param>
/// <param name="RowsCommitted">Rows whose outcome is final (appended, already imported, or rejected).</param>
/// <param name="EventsWritten">Events committed so far.</param>
/// <param name="BytesRead">Bytes of the file consumed so far (approximate: the reader buffers).</param>
/// <param name="TotalBytes">The file's size, if known.</param>
/// <param name="Elapsed">Wall time so far.</param>
public sealed record ImportProgress(long RowsRead, long RowsCommitted, long EventsWritten, long BytesRead, long? TotalBytes, Duration Elapsed)
{
    /// <summary>Committed rows per second so far.</summary>
    public double RowsPerSecond => Elapsed > Duration.Zero ? RowsCommitted / Elapsed.TotalSeconds : 0;

    /// <summary>The fraction of the file done (by bytes), 0–1, if the size is known.</summary>
    public double? Fraction => TotalBytes is > 0 and var total ? Math.Clamp((double)BytesRead / total, 0, 1) : null;

    /// <summary>The estimated time left, from the fraction of bytes read and the time taken so far.</summary>
    public Duration? EstimatedRemaining => Fraction is > 0 and var f && Elapsed > Duration.Zero
        ? Duration.FromSeconds(Elapsed.TotalSeconds * (1 - f) / f)
        : null;
}

/// <summary>Settings of one import run.</summary>
public sealed record ImportOptions
{
    /// <summary>Case streams per multi-stream append (one transaction, one round trip). Default 1,000.</summary>
    public int BatchSize { get; init; } = 1_000;

    /// <summary>Appends in flight at once; parsing overlaps them. Default 2.</summary>
    public int Writers { get; init; } = 2;

    /// <summary>Where to write the rejects report (CSV: row, source_id, disposition, rule, reason); null for none.</summary>
    public string? ReportPath { get; init; }

    /// <summary>Stop after this many data rows (for samples); null reads the whole file.</summary>
    public long? MaxRows { get; init; }

    /// <summary>Receives progress about every <see cref="ProgressInterval"/>.</summary>
    public IProgress<ImportProgress>? Progress { get; init; }

    /// <summary>How often progress is reported. Default a quarter second.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
