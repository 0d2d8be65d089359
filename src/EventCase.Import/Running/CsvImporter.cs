using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using EventCase.Cases;
using EventCase.Cases.Lifecycle;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using EventCase.Import.Mapping;
using EventCase.Import.Reading;
using EventCase.Import.Reporting;
using EventCase.Import.Synthesis;
using NodaTime;

namespace EventCase.Import.Running;

/// <summary>
/// Imports a 311 CSV export into case streams: reads the file row by row (constant memory apart from the set of source
/// ids seen, used to reject duplicates), turns each row into a case stream (<see cref="ImportMapping"/>), reports bad rows,
/// and appends the cases in large multi-stream batches while the next batch is being parsed.
/// </summary>
/// <remarks>
/// Row order does not matter: every case is a stream of its own, written whole in one append, so a file that is not
/// chronological (Boston's is grouped by case type) imports the same. The global log's order then follows the file, not
/// the cases' instants; read models that care about time use the events' own instants. Construct the store used for
/// importing without inline projections for speed and let projections catch up afterwards (daemon or rebuild); with
/// inline projections every batch also writes their rows in its transaction. Re-running the same file appends nothing:
/// before each batch the importer compares what is stored for its cases with the histories it synthesized, event by
/// event and by content (<c>docs/import.md</c>, "Event ids"), and appends only to cases whose stored history is the
/// start of the new one. Thread safe; one instance may run several imports.
/// </remarks>
/// <param name="store">The event store to write to.</param>
public sealed class CsvImporter(PostgresEventStore store)
{
    /// <summary>How often a batch is compared and appended when a case of it was written to in between (then gives up).</summary>
    private const int AttemptsPerBatch = 5;

    private readonly PostgresEventStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Imports the CSV file at <paramref name="path"/> into <paramref name="tenant"/>.</summary>
    /// <exception cref="ArgumentException"><see cref="ImportOptions.ReportPath"/> names the file at <paramref name="path"/>
    /// (thrown before anything is opened or written).</exception>
    /// <exception cref="InvalidImportMappingException">The mapping is invalid, or names a column the file's header does
    /// not have (thrown before anything is written).</exception>
    /// <exception cref="InvalidImportFileException">The file is empty, not UTF-8, or its header names a mapped column more
    /// than once (thrown before anything is written).</exception>
    /// <exception cref="ImportFailedException">The import stopped part-way (a batch's append failed, the file could not be
    /// read on): what it committed stays, and the exception says how much that is and which rows failed.</exception>
    /// <exception cref="ImportCancelledException"><paramref name="cancellationToken"/> was cancelled once rows were being
    /// imported: what was committed stays, and the exception says how much that is (before that, a plain
    /// <see cref="OperationCanceledException"/>: nothing was written).</exception>
    public async Task<ImportSummary> ImportAsync(
        string path, ImportMapping mapping, AgencyId tenant, ImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (options?.ReportPath is { } report && IsSameFile(path, report))
        {
            // The report is created (truncated) when the rows start: it overwrote the export being read, which then ended
            // early, the import reporting success on the rows it had read.
            throw new ArgumentException($"ImportOptions.ReportPath names the file being imported ({path}): the report would overwrite it.", nameof(options));
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return await ImportAsync(file, Path.GetFileName(path), mapping, tenant, options, cancellationToken);
    }

    /// <summary>
    /// True when <paramref name="a"/> and <paramref name="b"/> name the same file: the same full path (letter case
    /// ignored where the file system usually ignores it), or a symbolic link and its target.
    /// </summary>
    public static bool IsSameFile(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return string.Equals(Resolved(a), Resolved(b), OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

        static string Resolved(string path)
        {
            var file = new FileInfo(Path.GetFullPath(path));
            return (file.LinkTarget is not null ? file.ResolveLinkTarget(returnFinalTarget: true)?.FullName : null) ?? file.FullName;
        }
    }

    /// <summary>Imports CSV text from <paramref name="source"/> (named <paramref name="fileName"/> in metadata and the
    /// report) into <paramref name="tenant"/>.</summary>
    /// <exception cref="InvalidImportMappingException">The mapping is invalid, or names a column the file's header does
    /// not have (thrown before anything is written).</exception>
    /// <exception cref="InvalidImportFileException">The file is empty, not UTF-8, or its header names a mapped column more
    /// than once (thrown before anything is written).</exception>
    /// <exception cref="ImportFailedException">The import stopped part-way (a batch's append failed, the file could not be
    /// read on): what it committed stays, and the exception says how much that is and which rows failed.</exception>
    /// <exception cref="ImportCancelledException"><paramref name="cancellationToken"/> was cancelled once rows were being
    /// imported: what was committed stays, and the exception says how much that is (before that, a plain
    /// <see cref="OperationCanceledException"/>: nothing was written).</exception>
    public async Task<ImportSummary> ImportAsync(
        Stream source, string fileName, ImportMapping mapping, AgencyId tenant, ImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(tenant);
        options ??= new ImportOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Writers, 1);
        mapping.Validate();

        // The header is read, and the mapping checked against it, before anything else starts: a file or mapping that
        // cannot work is refused with its own exception before anything is written.
        var records = new CsvRecordReader(source);
        var header = await records.ReadAsync(cancellationToken)
            ?? throw new InvalidImportFileException($"{fileName} is empty; a CSV export starts with a header line naming its columns.");
        if (header.Problem is { } problem)
        {
            throw new InvalidImportFileException($"{fileName}: the header (line {header.Line}) cannot be read: {problem}");
        }

        if (header.Fields.Any(name => name.Contains('\0', StringComparison.Ordinal)))
        {
            throw new InvalidImportFileException($"{fileName}: the header holds NUL characters; the file looks like UTF-16 without a byte order mark, and the importer reads UTF-8.");
        }

        records.Header = header.Fields;
        var synthesizer = new CaseSynthesizer(mapping, tenant, fileName, header.Fields);

        var run = new ImportRun(options, source.CanSeek ? source.Length : null);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batches = System.Threading.Channels.Channel.CreateBounded<RowBatch>(new BoundedChannelOptions(options.Writers)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        // A failing side cancels the other at once: a reader blocked on a full channel must not wait for writers that
        // have all died, nor writers for a reader that has.
        async Task CancelOnFailure(Func<Task> work)
        {
            try
            {
                await work();
            }
            catch
            {
                await failed.CancelAsync();
                throw;
            }
        }

        var writers = Enumerable.Range(0, options.Writers)
            .Select(_ => Task.Run(() => CancelOnFailure(() => WriteBatchesAsync(batches.Reader, synthesizer.UncomparedAttributes, run, failed.Token)), failed.Token))
            .ToArray();
        var reader = Task.Run(() => CancelOnFailure(() => ReadRowsAsync(source, records, synthesizer, _store.Serializer, _store.Options.MaxEventSizeBytes, batches.Writer, run, failed.Token)), failed.Token);
        try
        {
            await Task.WhenAll([reader, .. writers]);
        }
        catch
        {
            await failed.CancelAsync();
            batches.Writer.TryComplete();
            await Task.WhenAll([reader, .. writers]).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            if (cancellationToken.IsCancellationRequested)
            {
                // Cancelled by the caller: the batches in flight were rolled back, those committed stay. Say how far it got.
                throw run.Cancelled(fileName, records.LinesRead, cancellationToken);
            }

            var errors = new[] { reader }.Concat(writers).Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions)
                .Where(e => e is not OperationCanceledException).ToList();
            if (errors.Count == 0)
            {
                throw;
            }

            // Batches already committed stay: say how far the import got, and where it stopped, with the cause inside.
            throw run.Failure(fileName, records.LinesRead, errors.Count == 1 ? errors[0] : new AggregateException(errors));
        }

        run.ReportProgress(force: true);
        return run.ToSummary();
    }

    private static async Task ReadRowsAsync(
        Stream source, CsvRecordReader records, CaseSynthesizer synthesizer, EventSerializer serializer, int maxEventSize,
        ChannelWriter<RowBatch> batches, ImportRun run, CancellationToken cancellationToken)
    {
        try
        {
            await using var report = run.OpenReport();
            var seen = new HashSet<string>(StringComparer.Ordinal);

            // Case number → the source id that was given it: source-id-digits keeps only the last nine digits, so two
            // source ids can come to the same number, which the row read second must not take.
            var numbers = new Dictionary<CaseNumber, string>();
            var batch = new List<SynthesizedRow>(run.Options.BatchSize);
            var batchNumber = 0L;
            while (!(run.Options.MaxRows is { } max && run.RowsRead >= max) && await records.ReadAsync(cancellationToken) is { } record)
            {
                cancellationToken.ThrowIfCancellationRequested();
                run.RowsRead++;
                SynthesizedRow row;
                if (record.Problem is { } problem)
                {
                    row = CaseSynthesizer.Malformed(record.Line, synthesizer.ReadableSourceIdOf(record), problem);
                }
                else
                {
                    var sourceId = synthesizer.SourceIdOf(record.Fields);
                    row = sourceId.Length > 0 && !seen.Add(sourceId)
                        ? CaseSynthesizer.Duplicate(record.Line, sourceId)
                        : synthesizer.RejectOversized(synthesizer.Synthesize(record.Line, record.Fields), record.Fields, serializer, maxEventSize);
                    if (row.Number is { } number && !numbers.TryAdd(number, row.SourceId))
                    {
                        row = CaseSynthesizer.NumberTaken(row, number, numbers[number]);
                    }
                }

                report?.Write(row);
                if (row.IsRejected)
                {
                    run.CountRejected(row);
                }
                else
                {
                    batch.Add(row);
                    if (batch.Count >= run.Options.BatchSize)
                    {
                        await batches.WriteAsync(new RowBatch(++batchNumber, batch), cancellationToken);
                        batch = new List<SynthesizedRow>(run.Options.BatchSize);
                    }
                }

                run.BytesRead = source.CanSeek ? source.Position : 0;
                run.ReportProgress(force: false);
            }

            if (batch.Count > 0)
            {
                await batches.WriteAsync(new RowBatch(++batchNumber, batch), cancellationToken);
            }

            run.BytesRead = run.TotalBytes ?? run.BytesRead;
        }
        finally
        {
            batches.TryComplete();
        }
    }

    private async Task WriteBatchesAsync(ChannelReader<RowBatch> batches, IReadOnlySet<string> uncompared, ImportRun run, CancellationToken cancellationToken)
    {
        await foreach (var batch in batches.ReadAllAsync(cancellationToken))
        {
            try
            {
                await WriteBatchAsync(batch.Rows, uncompared, run, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Not a batch stopped because the other side failed: the one that failed.
                run.RecordFailedBatch(batch);
                throw;
            }
        }
    }

    private async Task WriteBatchAsync(List<SynthesizedRow> batch, IReadOnlySet<string> uncompared, ImportRun run, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CompareAndAppendAsync(batch, uncompared, run, cancellationToken);
                return;
            }
            catch (WrongExpectedVersionException) when (attempt < AttemptsPerBatch)
            {
                // A case of the batch was written to between reading what was stored and appending (an agent working on
                // it while the service takes traffic, another import of it): the batch wrote nothing. That failed the
                // whole import; compared again with what is stored now, the case is what it has become (changed since
                // imported, or already imported) and the rest of the batch is written.
            }
        }
    }

    private async Task CompareAndAppendAsync(List<SynthesizedRow> batch, IReadOnlySet<string> uncompared, ImportRun run, CancellationToken cancellationToken)
    {
        // What an earlier import of the same cases stored decides what this one appends (see StoredHistory):
        //  - nothing stored: the whole history;
        //  - the same history: nothing (already imported);
        //  - the start of it, and the decider allows the rest: the rest (a newer export in which the case moved
        //    on), after the stored version;
        //  - the importer's first event, then anything else: the case changed since it was imported (an agent
        //    worked on it, or the source now tells another story); it is left as it is and counted;
        //  - a first event the importer did not write: someone else's stream; appended as new, which the store
        //    refuses, failing the import.
        var streams = batch.Select(r => r.Append!.Stream).ToList();
        var storedIds = await _store.ReadEventIdsAsync(streams, cancellationToken);
        var started = batch
            .Where(r => storedIds.TryGetValue(r.Append!.Stream, out var ids) && ids[0] == r.Append.Events[0].EventId)
            .Select(r => r.Append!.Stream)
            .ToList();
        var stored = await ReadHistoriesAsync(started, cancellationToken);
        var appends = new List<StreamAppend>(batch.Count);
        var appended = new List<(SynthesizedRow Row, bool Update)>(batch.Count);
        var alreadyImported = 0;
        var changed = new List<SynthesizedRow>();
        foreach (var row in batch)
        {
            var append = row.Append!;
            if (!stored.TryGetValue(append.Stream, out var history))
            {
                appends.Add(append);
                appended.Add((row, false));
                continue;
            }

            switch (StoredHistory.Relate(history, append.Events, _store.Serializer, uncompared))
            {
                case StoredHistoryRelation.Same:
                    alreadyImported++;
                    break;
                case StoredHistoryRelation.Start:
                    appends.Add(append with { ExpectedVersion = ExpectedVersion.Exactly(history.Count), Events = [.. append.Events.Skip(history.Count)] });
                    appended.Add((row, true));
                    break;
                default:
                    changed.Add(row);
                    break;
            }
        }

        // Counted once the batch is written: a batch compared again after a conflict must not count its rows twice.
        var results = appends.Count > 0 ? await _store.AppendToStreamsAsync(appends, cancellationToken) : [];
        run.CountAlreadyImported(alreadyImported);
        foreach (var row in changed)
        {
            run.CountChanged(row);
        }

        run.CountAppended(appended, appends, results);
    }

    /// <summary>The events of <paramref name="streams"/>, read in as few statements as the store allows.</summary>
    private async Task<Dictionary<StreamName, IReadOnlyList<RecordedEvent>>> ReadHistoriesAsync(List<StreamName> streams, CancellationToken cancellationToken)
    {
        var histories = new Dictionary<StreamName, IReadOnlyList<RecordedEvent>>(streams.Count);
        foreach (var chunk in streams.Chunk(PostgresEventStore.MaxStreamsPerRead))
        {
            foreach (var (stream, events) in await _store.ReadStreamsAsync(chunk, cancellationToken))
            {
                histories[stream] = events;
            }
        }

        return histories;
    }

    /// <summary>Rows handed from the reader to a writer, appended in one transaction; numbered from 1 in file order.</summary>
    private sealed record RowBatch(long Number, List<SynthesizedRow> Rows);

    /// <summary>The counters of one run, shared by the reader and the writers.</summary>
    private sealed class ImportRun(ImportOptions options, long? totalBytes)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Lock _gate = new();
        private readonly Dictionary<string, long> _rejects = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _flags = new(StringComparer.Ordinal);
        private long _imported, _flagged, _rejected, _already, _updated, _changed, _events;
        private readonly List<string> _changedSourceIds = [];
        private TimeSpan? _lastProgress;
        private ImportBatch? _failedBatch;

        public ImportOptions Options => options;

        public long? TotalBytes => totalBytes;

        public long RowsRead { get; set; }

        public long BytesRead { get; set; }

        public ReportWriter? OpenReport() => options.ReportPath is { } path ? new ReportWriter(path) : null;

        public void CountRejected(SynthesizedRow row)
        {
            lock (_gate)
            {
                _rejected++;
                foreach (var rule in row.Findings.Select(f => f.Rule).Distinct())
                {
                    _rejects[rule] = _rejects.GetValueOrDefault(rule) + 1;
                }
            }
        }

        public void CountAlreadyImported(int rows)
        {
            lock (_gate)
            {
                _already += rows;
            }
        }

        public void CountChanged(SynthesizedRow row)
        {
            lock (_gate)
            {
                _changed++;
                if (_changedSourceIds.Count < ImportSummary.ChangedSourceIdsListed)
                {
                    _changedSourceIds.Add(row.SourceId);
                }
            }
        }

        public void CountAppended(List<(SynthesizedRow Row, bool Update)> batch, List<StreamAppend> appends, IReadOnlyList<AppendResult> results)
        {
            lock (_gate)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var (row, update) = batch[i];
                    if (results[i].AlreadyAppended)
                    {
                        _already++;
                        continue;
                    }

                    _events += appends[i].Events.Count;
                    if (update)
                    {
                        _updated++;
                        continue;
                    }

                    if (row.Findings.Count == 0)
                    {
                        _imported++;
                        continue;
                    }

                    _flagged++;
                    foreach (var rule in row.Findings.Select(f => f.Rule).Distinct())
                    {
                        _flags[rule] = _flags.GetValueOrDefault(rule) + 1;
                    }
                }
            }
        }

        public void RecordFailedBatch(RowBatch batch)
        {
            lock (_gate)
            {
                // Of batches failing at once (several writers), the first in the file.
                if (_failedBatch is null || batch.Number < _failedBatch.Number)
                {
                    _failedBatch = new ImportBatch(batch.Number, batch.Rows.Count, batch.Rows[0].Row, batch.Rows[^1].Row);
                }
            }
        }

        /// <summary>The failure of this run: what it had done, where it stopped, and why.</summary>
        public ImportFailedException Failure(string fileName, long linesRead, Exception error)
        {
            lock (_gate)
            {
                return new ImportFailedException(fileName, ToSummary(completedOnly: true), RowsRead, _failedBatch, linesRead, error);
            }
        }

        /// <summary>The cancellation of this run: what it had committed when it was cancelled.</summary>
        public ImportCancelledException Cancelled(string fileName, long linesRead, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return new ImportCancelledException(fileName, ToSummary(completedOnly: true), RowsRead, linesRead, cancellationToken);
            }
        }

        public void ReportProgress(bool force)
        {
            if (options.Progress is not { } progress)
            {
                return;
            }

            var now = _clock.Elapsed;
            if (!force && _lastProgress is { } last && now - last < options.ProgressInterval)
            {
                return;
            }

            _lastProgress = now;
            long committed, events;
            lock (_gate)
            {
                committed = _imported + _flagged + _rejected + _already + _updated + _changed;
                events = _events;
            }

            progress.Report(new ImportProgress(RowsRead, committed, events, BytesRead, totalBytes, Duration.FromTimeSpan(now)));
        }

        /// <summary>The summary of the run; with <paramref name="completedOnly"/>, of the rows whose outcome is final
        /// (for a run that stopped: rows read but in batches not committed are left out).</summary>
        public ImportSummary ToSummary(bool completedOnly = false)
        {
            lock (_gate)
            {
                var rows = completedOnly ? _imported + _flagged + _rejected + _already + _updated + _changed : RowsRead;
                return new ImportSummary(rows, _imported, _flagged, _rejected, _already, _events, Duration.FromTimeSpan(_clock.Elapsed),
                    new SortedDictionary<string, long>(_rejects, StringComparer.Ordinal), new SortedDictionary<string, long>(_flags, StringComparer.Ordinal))
                {
                    Updated = _updated,
                    Changed = _changed,
                    ChangedSourceIds = [.. _changedSourceIds],
                };
            }
        }
    }
}
