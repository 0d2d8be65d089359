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
        var error = await Assert.ThrowsAsync<WrongExpectedVersionException>(() => import);
        Assert.Contains("bos311-101001242404", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await EventCountAsync(tenant));
    }
}
