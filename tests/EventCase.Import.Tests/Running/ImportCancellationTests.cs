using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;

namespace EventCase.Import.Tests.Running;

/// <summary>An import cancelled part-way (Ctrl-C in the CLI): what it committed is whole cases, it says how many, and
/// running it again resumes.</summary>
public sealed class ImportCancellationTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_cancelled_import_says_how_many_whole_cases_it_committed_and_running_it_again_imports_the_rest_once()
    {
        var tenant = NewAgency("boston");
        var file = SourceFiles.PathOf(SourceFiles.Boston);
        var mapping = SourceFiles.MappingFor(SourceFiles.Boston);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Cancelled as soon as a batch has committed, while the reader is still reading (it is at most a few batches
        // ahead of the writers).
        var cancelled = await Assert.ThrowsAsync<ImportCancelledException>(() => new CsvImporter(Store).ImportAsync(file, mapping, tenant, new ImportOptions
        {
            MaxRows = 3_000,
            BatchSize = 50,
            Writers = 2,
            ProgressInterval = TimeSpan.Zero,
            Progress = new CancelOnceCommitted(cancellation),
        }, cancellation.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(cancelled);
        var completed = cancelled.Completed;
        Assert.InRange(cancelled.CasesCommitted, 1, 2_999);
        Assert.True(cancelled.RowsRead < 3_000, $"{cancelled.RowsRead} rows read: the import was not stopped part-way");
        Assert.Equal(completed.Imported + completed.Flagged, cancelled.CasesCommitted);

        // What it says it committed is what is stored, in whole cases: no batch was half written.
        Assert.Equal(completed.EventsWritten, await EventCountAsync(tenant));
        Assert.Equal(cancelled.CasesCommitted, await StreamCountAsync(tenant));
        Assert.StartsWith($"The import of {SourceFiles.Boston} was cancelled after line ", cancelled.Message, StringComparison.Ordinal);
        Assert.Contains($": {cancelled.CasesCommitted:N0} cases were committed (", cancelled.Message, StringComparison.Ordinal);
        Assert.Contains($"; {completed.EventsWritten:N0} events)", cancelled.Message, StringComparison.Ordinal);
        Assert.EndsWith("Running the same import again resumes: what was committed counts as already imported.", cancelled.Message, StringComparison.Ordinal);

        var resumed = await ImportAsync(file, mapping, tenant, new ImportOptions { MaxRows = 3_000 });

        Assert.Equal((3_000L, cancelled.CasesCommitted, 0L, 0L), (resumed.RowsRead, resumed.AlreadyImported, resumed.Changed, resumed.Updated));
        var cases = resumed.Imported + resumed.Flagged + resumed.AlreadyImported;
        Assert.Equal(3_000L - resumed.Rejected, cases);
        Assert.Equal(cases, await StreamCountAsync(tenant));
        Assert.Equal(completed.EventsWritten + resumed.EventsWritten, await EventCountAsync(tenant));
    }

    /// <summary>Cancels the import once it reports committed events. Called on the reader's thread, as it reads.</summary>
    private sealed class CancelOnceCommitted(CancellationTokenSource cancellation) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value)
        {
            if (value.EventsWritten > 0)
            {
                cancellation.Cancel();
            }
        }
    }
}
