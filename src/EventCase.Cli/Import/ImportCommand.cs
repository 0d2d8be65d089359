using System.CommandLine;
using System.Globalization;
using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cli.Hosting;
using EventCase.EventStore;
using EventCase.Import.Mapping;
using EventCase.Import.Running;
using Spectre.Console;

namespace EventCase.Cli.Import;

/// <summary><c>eventcase import &lt;file&gt; --mapping M --tenant T</c>: legacy 311 history in, full case lifecycles out.</summary>
internal static class ImportCommand
{
    /// <summary>
    /// The share of the file whose rows are committed, for the progress bar beside the count of committed rows: the
    /// file's share read so far, scaled by the share of the rows read that are committed. The bar showed the bytes the
    /// parser had read, which runs ahead of the appends by the batches queued for them: 96% and no time left beside
    /// 19,003 rows committed of 23,788 (80%).
    /// </summary>
    internal static double CommittedFraction(ImportProgress progress) =>
        progress.Fraction is not { } read || progress.RowsRead == 0 ? 0 : read * Math.Min(1, (double)progress.RowsCommitted / progress.RowsRead);

    public static Command Create(IAnsiConsole console, IAnsiConsole progress)
    {
        var file = new Argument<FileInfo>("file") { Description = "The CSV export to import" };
        file.AcceptExistingFilesOnly();
        var mapping = new Option<FileInfo>("--mapping") { Description = "The mapping file (JSON; see mappings/ and docs/import.md)", Required = true };
        mapping.AcceptExistingFilesOnly();
        var tenant = new Option<string>("--tenant") { Description = "The agency (tenant) the cases belong to", Required = true };
        tenant.AcceptOnlyTenantIds();
        var rejects = new Option<FileInfo?>("--rejects") { Description = "Write the rejects report (CSV: row, source id, rule, reason) here (default: <file>.rejects.csv)" };
        rejects.AcceptWritableFilePathsOnly();
        var batch = new Option<int>("--batch-size") { Description = "Cases per append batch", DefaultValueFactory = _ => 1_000 };
        batch.AcceptWholeNumbersOnly();
        batch.AddValidator(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 10_000)
            {
                r.AddError("--batch-size must be between 1 and 10000.");
            }
        });
        var maxRows = new Option<long?>("--max-rows") { Description = "Stop after this many rows (a trial run)" };
        maxRows.AcceptWholeNumbersOnly();
        maxRows.AddValidator(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 1)
            {
                r.AddError("--max-rows must be 1 or more.");
            }
        });
        var noRebuild = new Option<bool>("--no-rebuild") { Description = "Do not ask for the projections to be rebuilt afterwards" };
        var command = new Command("import", "Import a legacy 311 CSV export as case streams; bad rows go to a rejects report, never silently dropped")
        {
            file, mapping, tenant, rejects, batch, maxRows, noRebuild,
        };
        command.AddExamples(
            "eventcase import boston_311_2015.csv --mapping mappings/boston_311_2015.json --tenant boston --max-rows 1000",
            "eventcase import boston_311_2015.csv --mapping mappings/boston_311_2015.json --tenant boston --rejects boston-rejects.csv");
        command.SetAction(async (result, ct) =>
        {
            var source = result.GetValue(file)!;
            var mappingFile = result.GetValue(mapping)!;
            ImportMapping importMapping;
            try
            {
                importMapping = await ImportMapping.LoadAsync(mappingFile.FullName, ct);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidImportMappingException)
            {
                throw CliException.BadArgument($"--mapping {mappingFile.Name}: {e.Message}", e);
            }
            catch (NodaTime.Text.InvalidPatternException e)
            {
                // The mapping's check of its timestamp formats lets NodaTime's own exception through.
                throw CliException.BadArgument($"--mapping {mappingFile.Name}: a timestampFormats entry is not a valid NodaTime pattern: {e.Message}", e);
            }

            var agency = new AgencyId(result.GetValue(tenant)!);
            var report = result.GetValue(rejects)?.FullName ?? source.FullName + ".rejects.csv";

            // The report is written from scratch: naming the export or the mapping would destroy it (the export was cut
            // short under the import reading it, which then reported success on the rows it had read).
            if (CsvImporter.IsSameFile(report, source.FullName) || CsvImporter.IsSameFile(report, mappingFile.FullName))
            {
                var what = CsvImporter.IsSameFile(report, source.FullName) ? "the file being imported" : "the mapping file";
                throw CliException.BadArgument($"--rejects {report} is {what}: the report would overwrite it; name another file (default: <file>.rejects.csv).");
            }

            // The report is opened once the rows start, after the schema was created or migrated: a directory the user
            // may not write to (an export on a read-only share, the default beside it) stopped the import there, exit
            // code 1, with a line about the import's progress. Tried first, it is a bad argument and nothing is done.
            if (PathValidation.ProblemCreating(new FileInfo(report)) is { } unwritable)
            {
                throw CliException.BadArgument(result.GetValue(rejects) is null
                    ? $"the rejects report goes beside the file by default, and {unwritable.TrimEnd('.')}; name a file to write it to with --rejects FILE."
                    : $"--rejects: {unwritable}");
            }
            await using var session = await CliSession.OpenAsync(GlobalOptions.From(result), SchemaAccess.CreateOrMigrate, ct);

            // Imports append without inline projections: they catch up afterwards, by rebuild, not row by row.
            var store = new PostgresEventStore(session.DataSource, CaseEvents.CreateSerializer(), session.Store.Options);
            ImportSummary summary = null!;

            // Task descriptions are Spectre markup, rendered on its refresh thread: a file name is data, and a '[' in
            // it unescaped would throw there, where nothing can catch it, and abort the process.
            var sourceName = Markup.Escape(source.Name);
            try
            {
                await progress.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"importing {sourceName}", maxValue: 1_000);
                        var reporter = new Progress<ImportProgress>(p =>
                        {
                            task.Value = CommittedFraction(p) * 1_000;
                            task.Description = string.Create(CultureInfo.InvariantCulture, $"importing {sourceName}: {p.RowsCommitted:N0} rows, {p.RowsPerSecond:N0} rows/s");
                        });
                        summary = await new CsvImporter(store).ImportAsync(source.FullName, importMapping, agency, new ImportOptions
                        {
                            BatchSize = result.GetValue(batch),
                            MaxRows = result.GetValue(maxRows),
                            ReportPath = report,
                            Progress = reporter,
                        }, ct);
                        task.Description = string.Create(CultureInfo.InvariantCulture, $"importing {sourceName}: {summary.RowsRead:N0} rows, {summary.RowsPerSecond:N0} rows/s");
                        task.Value = task.MaxValue;
                    });
            }
            catch (InvalidImportMappingException e)
            {
                throw CliException.BadArgument($"--mapping {mappingFile.Name} does not fit {source.Name}: {e.Message}", e);
            }
            catch (InvalidImportFileException e)
            {
                // Refused before anything was written: one line.
                throw new CliException(e.Message);
            }
            catch (ImportFailedException e)
            {
                // Stopped part-way: what was committed stays, so show it, then the one line that says where and why.
                console.Write(SummaryTable(e.Completed));
                await RequestRebuildsAsync(session, console, result.GetValue(noRebuild), e.Completed.EventsWritten, CancellationToken.None);
                throw new CliException(e.Message);
            }
            catch (ImportCancelledException e)
            {
                // Ctrl-C: the same table of what was committed; the line saying so and that a re-run resumes is the
                // cancellation's own (EventCaseCli.RunAsync), with exit code 130. The committed cases are in the log but
                // in no read model until a rebuild, and a re-run requests one only if it writes something: requested now,
                // with a deadline of its own, since the command's token is cancelled.
                console.Write(SummaryTable(e.Completed));
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await RequestRebuildsAsync(session, console, result.GetValue(noRebuild), e.Completed.EventsWritten, deadline.Token);
                throw;
            }

            console.Write(SummaryTable(summary));
            if (summary.Changed > 0)
            {
                // Markup-free: source ids are data.
                console.WriteLine($"changed since imported, left as they are ({summary.Changed:N0}): {string.Join(", ", summary.ChangedSourceIds)}{(summary.Changed > summary.ChangedSourceIds.Count ? ", …" : string.Empty)}");
            }

            foreach (var (rule, count) in summary.RejectsByRule)
            {
                console.WriteLine($"rejected ({rule}): {count:N0}");
            }

            foreach (var (rule, count) in summary.FlagsByRule)
            {
                console.WriteLine($"flagged ({rule}): {count:N0}");
            }

            // A run that wrote nothing still exits 0 (docs/import.md): its table's zeros were easy to read past in a log,
            // so one line says it, and why.
            if (summary.EventsWritten == 0)
            {
                console.WriteLine(summary.Rejected == summary.RowsRead
                    ? $"nothing was imported: every one of the {summary.RowsRead:N0} rows read was rejected (the rejects report says why)."
                    : $"nothing was imported: of the {summary.RowsRead:N0} rows read, {summary.Rejected:N0} were rejected, {summary.AlreadyImported:N0} already imported and {summary.Changed:N0} changed since imported.");
            }

            // The report lists flagged rows too (imported, with what was wrong with them): a run that only flagged rows
            // wrote one as well, and said nothing of where.
            if (summary.Rejected > 0 || summary.Flagged > 0)
            {
                console.WriteLine($"rejects report: {report}");
            }

            await RequestRebuildsAsync(session, console, result.GetValue(noRebuild), summary.EventsWritten, ct);

            return 0;
        });
        return command;
    }

    /// <summary>
    /// After an import that wrote events, whole or stopped part-way: requests every projection's rebuild, or, with
    /// <c>--no-rebuild</c>, says which read models lack the imported cases. The import appends without the projections.
    /// </summary>
    private static async Task RequestRebuildsAsync(CliSession session, IAnsiConsole console, bool noRebuild, long eventsWritten, CancellationToken cancellationToken)
    {
        if (eventsWritten == 0)
        {
            return;
        }

        var projections = await session.Store.Projections.GetStatusAsync(cancellationToken);
        if (!noRebuild)
        {
            foreach (var projection in projections)
            {
                await session.Store.Projections.RequestRebuildAsync(projection.Name, cancellationToken);
            }

            console.WriteLine(projections.Count == 0
                ? "no projections registered yet: the service builds them from the log when it starts."
                : $"rebuild requested for {projections.Count} projections; the running service (eventcase serve) rebuilds them from the log.");
        }
        else if (projections.Count > 0)
        {
            // Until they are rebuilt, every read model lacks what the import wrote, the inline ones too, whose status
            // shows no lag (they have no checkpoint to fall behind).
            console.WriteLine($"not rebuilt (--no-rebuild): the read models lack the imported cases until `eventcase projections rebuild` of each of {string.Join(", ", projections.Select(p => p.Name))}.");
        }
    }

    private static Table SummaryTable(ImportSummary summary)
    {
        var table = new Table().AddColumns("rows read", "imported", "flagged", "rejected", "already imported", "updated", "changed since", "events written", "wall time", "events/s");
        table.AddRow(
            N(summary.RowsRead), N(summary.Imported), N(summary.Flagged), N(summary.Rejected), N(summary.AlreadyImported), N(summary.Updated), N(summary.Changed),
            N(summary.EventsWritten), string.Create(CultureInfo.InvariantCulture, $"{summary.Elapsed.TotalSeconds:F1} s"), N((long)summary.EventsPerSecond));
        return table;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
