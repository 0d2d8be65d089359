using EventCase.Cases;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Metadata;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

public sealed class ImportFailureTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_case_stream_written_by_someone_else_fails_the_import_with_the_stores_error_instead_of_hanging_or_skipping_it()
    {
        var tenant = NewAgency("boston");
        var taken = new CaseId("bos311-101001242404");
        await Store.AppendToStreamAsync(CaseStreams.For(tenant, taken), CaseStreams.StreamType, ExpectedVersion.NoStream,
            [new NewEvent(Guid.NewGuid(), new CaseCancelled(taken, "written by another writer", Instant.FromUtc(2026, 1, 1, 0, 0)), EventMetadata.System())], Ct);

        var import = ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), SourceFiles.MappingFor(SourceFiles.Boston), tenant,
            new ImportOptions { MaxRows = 3_000, BatchSize = 100, Writers = 1 });
        var finished = await Task.WhenAny(import, Task.Delay(TimeSpan.FromSeconds(60), Ct));

        Assert.Same(import, finished);
        var error = await Assert.ThrowsAsync<ImportFailedException>(() => import);
        var cause = Assert.IsType<WrongExpectedVersionException>(error.InnerException);
        Assert.Contains("bos311-101001242404", cause.Message, StringComparison.Ordinal);
        Assert.Equal(new ImportBatch(1, 100, 2, 101), error.FailedBatch);
        Assert.Equal(0, error.Completed.EventsWritten);
        Assert.Equal(1, await EventCountAsync(tenant));
    }

    [Fact]
    public async Task A_failed_batch_says_which_rows_failed_and_what_the_batches_before_it_committed()
    {
        // Line 250 is in the third batch of 100 (lines 202–301: none of the first rows is rejected).
        var tenant = NewAgency("boston");
        var sourceId = BostonRows.Split(File.ReadLines(SourceFiles.PathOf(SourceFiles.Boston)).ElementAt(249))[1];
        var taken = new CaseId("bos311-" + sourceId);
        await Store.AppendToStreamAsync(CaseStreams.For(tenant, taken), CaseStreams.StreamType, ExpectedVersion.NoStream,
            [new NewEvent(Guid.NewGuid(), new CaseCancelled(taken, "written by another writer", Instant.FromUtc(2026, 1, 1, 0, 0)), EventMetadata.System())], Ct);

        var error = await Assert.ThrowsAsync<ImportFailedException>(() => ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), SourceFiles.MappingFor(SourceFiles.Boston), tenant,
            new ImportOptions { MaxRows = 1_000, BatchSize = 100, Writers = 1 }));

        Assert.IsType<WrongExpectedVersionException>(error.InnerException);
        Assert.Equal(new ImportBatch(3, 100, 202, 301), error.FailedBatch);
        var completed = error.Completed;
        Assert.Equal((200L, 200L, 0L), (completed.RowsRead, completed.Imported + completed.Flagged, completed.Rejected));
        Assert.True(error.RowsRead >= 300, $"{error.RowsRead} rows read");
        Assert.Equal(completed.EventsWritten + 1, await EventCountAsync(tenant));
        Assert.Equal(201, await StreamCountAsync(tenant));
        Assert.StartsWith($"The import of {SourceFiles.Boston} stopped at batch 3 (100 cases, rows on lines 202–301), which failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Done before it stopped: 200 of the {error.RowsRead:N0} rows read (", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{completed.EventsWritten:N0} events committed", error.Message, StringComparison.Ordinal);

        // Importing again resumes: the committed cases are already imported, and the same batch fails the same way.
        var again = await Assert.ThrowsAsync<ImportFailedException>(() => ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), SourceFiles.MappingFor(SourceFiles.Boston), tenant,
            new ImportOptions { MaxRows = 1_000, BatchSize = 100, Writers = 1 }));
        Assert.Equal((200L, 0L), (again.Completed.AlreadyImported, again.Completed.EventsWritten));
    }
}
