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
    public async Task Draws_that_arrive_while_one_is_in_flight_are_served_together_in_the_order_they_arrived()
    {
        var (boston, cambridge, cambridgeSeries) = await TwoAgenciesWithANumberEachAsync();

        var (first, queued) = await WhileOneDrawWaitsAsync(boston, () =>
        [
            Numbers.AllocateAsync(Series(boston), Ct),
            Numbers.AllocateAsync(cambridgeSeries, Ct),
            Numbers.AllocateAsync(Series(boston, 2027), Ct),
            Numbers.AllocateAsync(Series(boston), Ct),
            Numbers.AllocateAsync(cambridgeSeries, Ct),
        ]);

        Assert.Equal("BOS-2026-000002", first.Value);
        Assert.Equal(["BOS-2026-000003", "CAM-2026-000002", "BOS-2027-000001", "BOS-2026-000004", "CAM-2026-000003"], (await Task.WhenAll(queued)).Select(n => n.Value));
        // One statement moved all three counters: their rows carry the same transaction.
        await using var writers = DataSource.CreateCommand(
            "SELECT count(DISTINCT xmin::text) FROM eventcase.case_number_sequences WHERE agency_id = ANY ($1)");
        writers.Parameters.AddWithValue(new[] { boston.Value, cambridge.Value });
        Assert.Equal(1L, await writers.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task An_exhausted_series_fails_only_its_own_draws_when_they_are_served_together_with_others()
    {
        var (boston, cambridge, cambridgeSeries) = await TwoAgenciesWithANumberEachAsync();
        await using (var exhaust = DataSource.CreateCommand("UPDATE eventcase.case_number_sequences SET last_sequence = 999999999 WHERE agency_id = $1"))
        {
            exhaust.Parameters.AddWithValue(cambridge.Value);
            await exhaust.ExecuteNonQueryAsync(Ct);
        }

        var (_, queued) = await WhileOneDrawWaitsAsync(boston, () =>
        [
            Numbers.AllocateAsync(Series(boston), Ct),
            Numbers.AllocateAsync(cambridgeSeries, Ct),
            Numbers.AllocateAsync(Series(boston), Ct),
        ]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => queued[1]);
        Assert.Contains(cambridge.Value, error.Message, StringComparison.Ordinal);
        // The batch failed as a whole, so its draws were made again one by one, side by side: in either order.
        Assert.Equal(["BOS-2026-000003", "BOS-2026-000004"], new[] { await queued[0], await queued[2] }.Select(n => n.Value).Order(StringComparer.Ordinal));
    }

    /// <summary>Two new agencies (the second numbering with CAM), each with its 2026 counter at 1.</summary>
    private async Task<(AgencyId Boston, AgencyId Cambridge, CaseNumberSeries CambridgeSeries)> TwoAgenciesWithANumberEachAsync()
    {
        var boston = NewAgency();
        var cambridge = NewAgency();
        var cambridgeSeries = new CaseNumberSeries(cambridge, "CAM", 2026);
        await Numbers.AllocateAsync(Series(boston), Ct);
        await Numbers.AllocateAsync(cambridgeSeries, Ct);
        return (boston, cambridge, cambridgeSeries);
    }

    /// <summary>
    /// Holds the agency's 2026 counter row from another connection, so that a draw of it waits inside the database;
    /// meanwhile the draws under test arrive (and queue as they are called); then lets go.
    /// </summary>
    private async Task<(CaseNumber First, Task<CaseNumber>[] Queued)> WhileOneDrawWaitsAsync(AgencyId agency, Func<Task<CaseNumber>[]> arrive)
    {
        Task<CaseNumber> first;
        Task<CaseNumber>[] queued;
        await using (var holder = await DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await holder.BeginTransactionAsync(Ct))
        {
            await using (var hold = new Npgsql.NpgsqlCommand("SELECT 1 FROM eventcase.case_number_sequences WHERE agency_id = $1 AND year = 2026 FOR UPDATE", holder, transaction))
            {
                hold.Parameters.AddWithValue(agency.Value);
                await hold.ExecuteNonQueryAsync(Ct);
            }

            first = Numbers.AllocateAsync(Series(agency), Ct);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                await using var waiting = DataSource.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))");
                waiting.Parameters.AddWithValue(holder.ProcessID);
                if ((long)(await waiting.ExecuteScalarAsync(Ct))! > 0)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "the first draw never waited on the held counter");
                await Task.Delay(10, Ct);
            }

            queued = arrive();
            Assert.False(first.IsCompleted);
            await transaction.RollbackAsync(Ct);
        }

        return (await first, queued);
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
    public async Task The_tables_the_case_migrations_create_are_the_ones_CasesSchema_reserves_from_projections()
    {
        var schema = "cases_only_" + Guid.NewGuid().ToString("N")[..8];
        await CasesSchema.MigrateAsync(DataSource, schema, Ct);
        await using var command = DataSource.CreateCommand(
            "SELECT relname::text, relkind::text FROM pg_class WHERE relnamespace = $1::regnamespace AND relname NOT LIKE 'schema_migrations%' ORDER BY 1");
        command.Parameters.AddWithValue(schema);
        var relations = new List<(string Name, string Kind)>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                relations.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Equal(CasesSchema.TableNames, relations.Where(r => r.Kind == "r").Select(r => r.Name));
        // Their indexes and sequences are named as PostgreSQL names them, which projection tables may not be named.
        Assert.All(relations.Where(r => r.Kind != "r"), r => Assert.Matches("_(pkey|idx|seq)$", r.Name));
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
