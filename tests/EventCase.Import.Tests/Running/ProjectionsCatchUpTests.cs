using EventCase.Cases;
using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.EventStore.Auditing;
using EventCase.EventStore.Projections.Testing;
using EventCase.Import.Running;
using EventCase.Import.Tests.Support;
using EventCase.Testing;
using NodaTime;

namespace EventCase.Import.Tests.Running;

/// <summary>Imported cases behave like any other: the read models catch up after an import written without inline
/// projections, and the audit hash chain of imported streams verifies.</summary>
public sealed class ProjectionsCatchUpTests(DatabaseFixture database) : ImportTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task After_an_import_a_rebuild_of_the_case_number_lookup_finds_imported_cases_by_their_number()
    {
        var tenant = NewAgency("boston");
        var summary = await ImportAsync(SourceFiles.PathOf(SourceFiles.Boston), SourceFiles.MappingFor(SourceFiles.Boston), tenant, new ImportOptions { MaxRows = 300 });

        var tester = await ProjectionTester.CreateAsync(DataSource, CaseEvents.CreateRegistry(), new CaseNumberLookupProjection(), cancellationToken: Ct);
        await tester.RebuildAsync(Ct);

        var lookup = new CaseNumberLookup(tester.Store);
        var entry = await lookup.FindAsync(tenant, CaseNumber.Parse("BOS311-2015-1242404"), Ct);
        Assert.Equal(new CaseNumberEntry(new CaseId("bos311-101001242404"), CaseNumber.Parse("BOS311-2015-1242404"), Instant.FromUtc(2015, 1, 5, 17, 40, 41)), entry);
        Assert.Equal(summary.Imported + summary.Flagged,
            await CountAsync("SELECT count(*) FROM eventcase.case_numbers WHERE tenant_id = $1", tenant));
    }

    [Fact]
    public async Task The_hash_chain_of_every_imported_stream_verifies()
    {
        var tenant = NewAgency("la");
        var summary = await ImportAsync(SourceFiles.PathOf(SourceFiles.La2018), SourceFiles.MappingFor(SourceFiles.La2018), tenant, new ImportOptions { MaxRows = 500 });

        var report = await new AuditVerifier(Store).VerifyTenantAsync(tenant.Value, cancellationToken: Ct);

        Assert.True(report.IsIntact);
        Assert.Equal(summary.EventsWritten, report.EventsChecked);
    }
}
