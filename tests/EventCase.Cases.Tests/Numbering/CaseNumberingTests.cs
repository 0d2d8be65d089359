using EventCase.Cases.Handling;
using EventCase.Cases.Numbering;
using EventCase.Cases.Schema;
using EventCase.Cases.Tests.Handling;
using EventCase.EventStore;
using EventCase.EventStore.Serialization;
using EventCase.Testing;

namespace EventCase.Cases.Tests.Numbering;

public sealed class CaseNumberingTests(DatabaseFixture database) : HandlerTestBase(database), IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Numbers_drawn_concurrently_are_unique_and_sequential_without_gaps()
    {
        var agency = NewAgency();

        var numbers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => Numbers.AllocateAsync(Series(agency), Ct), Ct)));

        Assert.Equal(Enumerable.Range(1, 50), numbers.Select(n => n.Sequence).Order());
        Assert.All(numbers, n => Assert.Matches(@"^BOS-2026-0000\d\d$", n.Value));
    }

    [Fact]
    public async Task Each_agency_and_year_has_its_own_sequence()
    {
        var boston = NewAgency();
        var cambridge = NewAgency();

        var first = await Numbers.AllocateAsync(Series(boston), Ct);
        var second = await Numbers.AllocateAsync(Series(boston), Ct);
        var nextYear = await Numbers.AllocateAsync(Series(boston, 2027), Ct);
        var otherAgency = await Numbers.AllocateAsync(new CaseNumberSeries(cambridge, "CAM", 2026), Ct);

        Assert.Equal(["BOS-2026-000001", "BOS-2026-000002", "BOS-2027-000001", "CAM-2026-000001"],
            new[] { first, second, nextYear, otherAgency }.Select(n => n.Value));
    }

    [Fact]
    public async Task Cases_opened_concurrently_get_distinct_consecutive_numbers_that_the_lookup_finds()
    {
        var agency = NewAgency();
        var handler = Handler();
        var lookup = new CaseNumberLookup(Store);

        var cases = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => OpenCaseAsync(agency, handler), Ct)));

        var found = new Dictionary<int, CaseId>();
        for (var sequence = 1; sequence <= 20; sequence++)
        {
            var entry = await lookup.FindAsync(agency, Series(agency).Number(sequence), Ct);
            Assert.NotNull(entry);
            found.Add(sequence, entry.CaseId);
        }

        Assert.Equal(cases.ToHashSet(), found.Values.ToHashSet());
        Assert.Null(await lookup.FindAsync(agency, Series(agency).Number(21), Ct));
    }

    [Fact]
    public async Task The_lookup_finds_a_number_only_within_its_own_agency()
    {
        var boston = NewAgency();
        var cambridge = NewAgency();
        var caseId = await OpenCaseAsync(boston);
        var lookup = new CaseNumberLookup(Store);
        var number = Series(boston).Number(1);

        var stream = await lookup.FindStreamAsync(boston, number, Ct);

        Assert.Equal(CaseStreams.For(boston, caseId), stream);
        Assert.Null(await lookup.FindStreamAsync(cambridge, number, Ct));
    }

    [Fact]
    public async Task A_rejected_open_leaves_a_gap_but_never_reuses_its_number()
    {
        var agency = NewAgency();
        var handler = Handler();
        var bad = NewCaseId();
        var good = NewCaseId();

        var rejected = await handler.OpenCaseAsync(Agent(agency), bad, Series(agency), n => OpenFor(bad, agency)(n) with { Description = " " }, Ct);
        var accepted = await handler.OpenCaseAsync(Agent(agency), good, Series(agency), OpenFor(good, agency), Ct);

        Assert.Equal("case.invalid-input", Assert.IsType<CaseCommandResult.Rejected>(rejected).Rejection.Code);
        Assert.Equal("BOS-2026-000002", ((EventCase.Cases.Lifecycle.OpenedCase)Assert.IsType<CaseCommandResult.Accepted>(accepted).State).Number.Value);
        Assert.Empty(await ReadAsync(agency, bad));
    }

    [Fact]
    public async Task The_case_tables_migrate_once_and_then_find_nothing_left_to_do()
    {
        var again = await CasesSchema.MigrateAsync(DataSource, cancellationToken: Ct);

        Assert.Empty(again);
        Assert.Equal(1, await SchemaMigratorVersionAsync());
    }

    [Fact]
    public void A_lookup_over_a_store_without_the_lookup_projection_is_refused_with_a_clear_message()
    {
        var bare = new PostgresEventStore(DataSource, new EventSerializer(CaseEvents.CreateRegistry()));

        var error = Assert.Throws<InvalidOperationException>(() => new CaseNumberLookup(bare));

        Assert.Contains(nameof(CaseNumberLookupProjection), error.Message, StringComparison.Ordinal);
    }

    private Task<int> SchemaMigratorVersionAsync() =>
        EventStore.Schema.SchemaMigrator.GetAppliedVersionAsync(DataSource, CasesSchema.DefaultSchema, CasesSchema.MigrationSet, Ct);
}
