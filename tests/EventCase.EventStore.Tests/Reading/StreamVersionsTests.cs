using EventCase.EventStore.Tests.Projections;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Reading;

public sealed class StreamVersionsTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private static readonly StreamName[] References = [new("boston", "$catalog"), new("boston", "$routing")];

    [Fact]
    public async Task The_versions_of_existing_streams_are_read_in_one_lookup_and_missing_or_foreign_streams_are_absent()
    {
        var store = await CreateStoreAsync();
        await store.AppendToStreamAsync(new StreamName("boston", "$catalog"), "catalog", ExpectedVersion.NoStream, TestEvents.Notes("$catalog", 3), Ct);
        await store.AppendToStreamAsync(new StreamName("boston", "thing-1"), "thing", ExpectedVersion.NoStream, TestEvents.Notes("thing-1", 1), Ct);
        await store.AppendToStreamAsync(new StreamName("cambridge", "$routing"), "routing", ExpectedVersion.NoStream, TestEvents.Notes("$routing", 2), Ct);
        // Not asked for, though its tenant and id each are: the lookup by both lists finds it, and leaves it out.
        await store.AppendToStreamAsync(new StreamName("cambridge", "thing-1"), "thing", ExpectedVersion.NoStream, TestEvents.Notes("thing-1", 4), Ct);

        StreamName Boston(string id) => new("boston", id);
        StreamName Cambridge(string id) => new("cambridge", id);

        var versions = await store.ReadStreamVersionsAsync([Boston("$catalog"), Boston("$routing"), Boston("thing-1"), Boston("$catalog"), Cambridge("$routing"), Cambridge("$catalog")], Ct);

        Assert.Equal(new Dictionary<StreamName, long> { [Boston("$catalog")] = 3, [Boston("thing-1")] = 1, [Cambridge("$routing")] = 2 }, versions);
        Assert.Empty(await store.ReadStreamVersionsAsync([], Ct));
    }

    [Fact]
    public async Task Streams_of_many_agencies_each_with_its_own_ids_are_read_exactly_as_asked()
    {
        // Four agencies, a stream each, no id shared: filtering by both lists would probe sixteen pairs for four, so
        // this lookup joins the pairs; the other streams of each agency are not read back either way.
        var store = await CreateStoreAsync();
        var asked = new List<StreamName>();
        for (var i = 0; i < 4; i++)
        {
            var mine = new StreamName($"agency-{i}", $"thing-{i}");
            asked.Add(mine);
            await store.AppendToStreamAsync(mine, "thing", ExpectedVersion.NoStream, TestEvents.Notes(mine.Id, i + 1), Ct);
            var other = new StreamName($"agency-{i}", $"thing-{(i + 1) % 4}");
            await store.AppendToStreamAsync(other, "thing", ExpectedVersion.NoStream, TestEvents.Notes(other.Id, 9), Ct);
        }

        var versions = await store.ReadStreamVersionsAsync(asked, Ct);

        Assert.Equal(asked.Select((s, i) => (s, (long)i + 1)).ToDictionary(p => p.s, p => p.Item2), versions);
    }

    [Theory]
    [InlineData("", "thing-1", "tenant")]
    [InlineData("boston", "", "streamId")]
    [InlineData("boston", "line\nbreak", "streamId")]
    [InlineData("bos'; DROP TABLE eventcase.streams; --", "thing-1", "tenant")]
    public async Task A_bad_tenant_or_stream_id_is_a_typed_error_naming_the_field(string tenant, string id, string field)
    {
        var store = await CreateStoreAsync();

        var error = await Assert.ThrowsAsync<InvalidEventStoreArgumentException>(() => store.ReadStreamVersionsAsync([new StreamName("boston", "thing-1"), new StreamName(tenant, id)], Ct));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task Versions_are_read_through_the_key_even_by_a_plan_cached_while_the_table_was_nearly_empty()
    {
        // One connection, so that every read could reuse a plan cached while the table held three streams.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var store = await CreateStoreAsync(dataSource);
        var table = $"{Schema}.streams";
        await ExecuteAsync(dataSource, $"ALTER TABLE {table} SET (autovacuum_enabled = false)");
        foreach (var id in new[] { "$catalog", "$routing", "thing-1" })
        {
            await store.AppendToStreamAsync(new StreamName("boston", id), "thing", ExpectedVersion.NoStream, TestEvents.Notes(id, 1), Ct);
        }

        for (var i = 0; i < 10; i++)
        {
            await store.ReadStreamVersionsAsync(References, Ct);
        }

        // The table grows (as it does with every new case) behind the cached plan's back.
        await ExecuteAsync(dataSource, $"INSERT INTO {table} SELECT 'boston', 'case-' || g, 'case', 1, now(), now(), false, NULL FROM generate_series(1, 20000) g");
        var rowsBefore = await RowsReadAsync(dataSource, table);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(2, (await store.ReadStreamVersionsAsync(References, Ct)).Count);
        }

        // Two rows a read through the key; the plan cached on the small table read the whole tenant (20,000 rows) through
        // its first column, 2.3 ms a read, which W7 (opening cases) found.
        Assert.InRange(await RowsReadAsync(dataSource, table) - rowsBefore, 6, 60);
    }

    /// <summary>Rows the table's scans read so far (sequential or through an index), including what the (only) backend has not reported yet.</summary>
    private static Task<long> RowsReadAsync(NpgsqlDataSource dataSource, string table) =>
        TableStatisticAsync(dataSource, table, "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relid = $1::regclass");
}
