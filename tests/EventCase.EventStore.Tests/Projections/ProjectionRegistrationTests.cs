using EventCase.EventStore.Projections;
using EventCase.EventStore.Projections.Testing;
using EventCase.EventStore.Schema;
using EventCase.EventStore.Serialization;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>
/// A projection that cannot work is refused when it is registered (the store's constructor), with a message that names
/// what to change, instead of failing later at MigrateAsync with PostgreSQL's error, or at its first event.
/// </summary>
public sealed class ProjectionRegistrationTests(DatabaseFixture database) : ProjectionTestBase(database), IClassFixture<DatabaseFixture>
{
    private ArgumentException Refused(Func<Projection> projection, EventStoreOptions? options = null) =>
        Assert.Throws<ArgumentException>(() => new PostgresEventStore(
            Database.DataSource, new EventSerializer(TestEvents.Registry()), options ?? new EventStoreOptions { Schema = Schema }, [projection()]));

    [Theory]
    [InlineData("order")]
    [InlineData("group")]
    [InlineData("user")]
    public void A_column_named_after_a_reserved_sql_key_word_is_refused_naming_the_column_and_suggesting_another_name(string column)
    {
        var error = Refused(() => new ShapedProjection { ColumnNames = ["ward", column] });

        Assert.Contains($"column name '{column}' is a reserved SQL key word", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{column}_value'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reserved_key_words_are_refused_as_projection_names_table_names_and_entry_table_columns_too()
    {
        Assert.Contains("projection name 'select'", Refused(() => new ShapedProjection("select") { Table = "selections" }).Message, StringComparison.Ordinal);
        Assert.Contains("projection table name 'table'", Refused(() => new ShapedProjection { Table = "table" }).Message, StringComparison.Ordinal);
        Assert.Contains("projection table name 'order'", Refused(() => new ShapedProjection { Entries = [TextEntries("order", "text")] }).Message, StringComparison.Ordinal);
        Assert.Contains("column name 'limit'", Refused(() => new ShapedProjection { Entries = [TextEntries("shaped_entries", "limit")] }).Message, StringComparison.Ordinal);
        Assert.Contains("Schema 'user' is a reserved SQL key word", Refused(() => new ShapedProjection(), new EventStoreOptions { Schema = "user" }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_key_word_the_server_reserves_is_refused()
    {
        var reserved = await KeywordsAsync("R", "T");

        Assert.NotEmpty(reserved);
        Assert.All(reserved, word => Assert.True(SchemaMigrator.IsReservedKeyword(word), $"'{word}' is reserved by the server but accepted"));
    }

    [Fact]
    public async Task A_projection_whose_columns_are_every_key_word_the_server_does_not_reserve_is_created_applied_rebuilt_and_applied_inline()
    {
        // The rule refuses only what must be refused: every other key word works in every statement the store generates
        // (tables, upserts, COPY, indexes, statistics, the swap), live, rebuilt and inline.
        var keywords = await KeywordsAsync("U", "C");
        var typeAndFunctionNames = await KeywordsAsync("C");
        Projection Shaped(string name, ProjectionMode mode) => new ShapedProjection(name, mode)
        {
            ColumnNames = keywords,
            IndexColumns = [$"tenant_id, {string.Join(", ", typeAndFunctionNames.Take(5))}"],
            CorrelatedGroups = [$"tenant_id, {string.Join(", ", typeAndFunctionNames.Skip(5).Take(3))}"],
            Entries = [TextEntries(name + "_entries", [.. keywords], $"tenant_id, {string.Join(", ", typeAndFunctionNames.TakeLast(3))}")],
        };

        var testers = await ProjectionTester.CreateManyAsync(
            Database.DataSource, TestEvents.Registry(), [Shaped("keywords_async", ProjectionMode.Async), Shaped("keywords_inline", ProjectionMode.Inline)], Schema, Ct);
        await testers[0].AppendAsync(new StreamName("boston", "c-1"), new NoteAdded("c-1", "one"), new NoteAdded("c-1", "two"));
        await testers[0].AppendAsync(new StreamName("boston", "c-2"), new NoteAdded("c-2", "three"));
        await testers[0].CatchUpAsync(Ct);
        var live = await RowsAndEntriesAsync();
        await ProjectionTester.RebuildTogetherAsync(testers, Ct);

        Assert.Equal(("two,three", 3L), live[0]);
        Assert.Equal(live[0], live[1]);
        Assert.Equal(live, await RowsAndEntriesAsync());

        async Task<List<(string Rows, long Entries)>> RowsAndEntriesAsync()
        {
            var result = new List<(string, long)>();
            foreach (var tester in testers)
            {
                var rows = await tester.RowsAsync<TextRow>(Ct);
                var entries = await tester.QueryAsync($"SELECT count(*) AS n FROM {tester.Table(tester.Projection.Name + "_entries")}");
                result.Add((string.Join(",", rows.Select(r => r.Text)), (long)entries[0]["n"]!));
            }

            return result;
        }
    }

    [Theory]
    [InlineData("events")]
    [InlineData("streams")]
    [InlineData("projections")]
    [InlineData("schema_migrations")]
    [InlineData("snapshots")]
    public void A_table_of_the_event_store_is_refused_as_a_projection_table(string table)
    {
        Assert.Contains($"'{table}' is reserved by the event store", Refused(() => new ShapedProjection(table)).Message, StringComparison.Ordinal);
        Assert.Contains($"'{table}' is reserved by the event store", Refused(() => new ShapedProjection { Entries = [TextEntries(table, "text")] }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_names_the_store_reserves_are_every_table_index_and_sequence_its_migrations_create()
    {
        await CreateStoreAsync();
        var relations = await RelationsAsync();

        Assert.Contains("snapshots", relations);
        Assert.All(relations, relation => Assert.Contains(relation, Projection.StoreRelations));
        Assert.All(relations, relation => Refused(() => new ShapedProjection { Table = relation }));
    }

    [Theory]
    [InlineData("cases_pkey")]
    [InlineData("cases_ward_idx")]
    [InlineData("cases_entry_id_seq")]
    public void A_table_named_as_postgresql_names_indexes_and_sequences_is_refused(string table)
    {
        Assert.Contains("PostgreSQL names indexes and sequences", Refused(() => new ShapedProjection { Table = table }).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_the_options_reserve_for_another_migration_in_the_schema_is_refused()
    {
        var options = new EventStoreOptions { Schema = Schema, ReservedTableNames = ["case_number_sequences"] };

        var error = Refused(() => new ShapedProjection("case_number_sequences"), options);

        Assert.Contains("'case_number_sequences' is reserved: another part of the application creates a table of that name", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PostgresEventStore(
            Database.DataSource, new EventSerializer(TestEvents.Registry()), new EventStoreOptions { ReservedTableNames = [" "] }));
    }

    [Theory]
    [InlineData("entry_id")]
    [InlineData("tenant_id")]
    [InlineData("row_key")]
    public void An_entry_table_column_named_like_one_every_entry_table_has_is_refused(string column)
    {
        var error = Refused(() => new ShapedProjection { Entries = [TextEntries("shaped_entries", "text", column)] });

        Assert.Contains($"entry table 'shaped_entries' declares a column '{column}', which every entry table has already", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_table_column_declared_twice_is_refused()
    {
        var error = Refused(() => new ShapedProjection { Entries = [TextEntries("shaped_entries", "text", "text")] });

        Assert.Contains("declares column 'text' more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_entry_table_is_refused_saying_so_rather_than_failing_on_its_name()
    {
        var error = Refused(() => new ShapedProjection { Entries = [TextEntries("shaped_entries", "text"), null!] });

        Assert.Contains("Projection 'shaped' lists a null entry table.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_entry_tables_taking_one_entry_type_are_refused()
    {
        var error = Refused(() => new ShapedProjection { Entries = [TextEntries("first_entries", "text"), TextEntries("second_entries", "text")] });

        Assert.Contains("entry tables 'first_entries' and 'second_entries' both take entries of type TextEntry", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// An index was put into SQL as written and first met PostgreSQL at MigrateAsync, after the store's own migrations
    /// (a host that checks its options had said nothing); added to an existing projection with a version bump, it failed
    /// the rebuild instead, the live tables serving the old version meanwhile.
    /// </summary>
    [Theory]
    [InlineData("tenant_id, txt", "'txt', which is not a column of table 'shaped' (tenant_id, row_key, text)")]
    [InlineData("tenant_id, row_data", "'row_data', which is not a column of table 'shaped' (tenant_id, row_key, text)")]
    [InlineData("lower(text)", "'lower(text)', which is not a column of table 'shaped' (tenant_id, row_key, text)")]
    [InlineData("tenant_id, text DESC NULLS", "'text DESC NULLS', whose order is not ASC or DESC followed by NULLS FIRST or NULLS LAST")]
    [InlineData("tenant_id,, text", "an empty column")]
    [InlineData("tenant_id); DROP TABLE events; --", "'tenant_id);', which is not a column of table 'shaped' (tenant_id, row_key, text)")]
    public void An_index_that_is_not_a_list_of_the_tables_columns_is_refused_naming_the_projection_and_what_is_wrong(string index, string problem)
    {
        var error = Refused(() => new ShapedProjection { IndexColumns = [index] });

        Assert.Contains($"Projection 'shaped': index '{index}' names {problem}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_table_index_naming_a_column_the_entry_table_does_not_have_is_refused()
    {
        var error = Refused(() => new ShapedProjection { Entries = [TextEntries("shaped_entries", ["text"], "tenant_id, row_key, position")] });

        Assert.Contains(
            "Projection 'shaped': index 'tenant_id, row_key, position' names 'position', which is not a column of table 'shaped_entries' (entry_id, tenant_id, row_key, text)",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_index_of_the_tables_columns_with_orders_and_nulls_placement_is_created()
    {
        var store = await CreateStoreAsync(null, new ShapedProjection { IndexColumns = ["tenant_id, text desc nulls last, row_key ASC", "text NULLS FIRST"] });

        Assert.Single(store.Projections.All);
        Assert.Equal(2, await CountAsync($"SELECT count(*) FROM pg_indexes WHERE schemaname = '{Schema}' AND tablename = 'shaped' AND indexname <> 'shaped_pkey'"));
    }

    [Fact]
    public void A_projection_handling_an_event_type_the_serializer_does_not_know_is_refused_saying_so()
    {
        var error = Refused(() => new ShapedProjection { Handles = [typeof(NoteAdded), typeof(NotRegistered)] });

        Assert.Contains(
            $"Projection 'shaped' handles event type {typeof(NotRegistered).FullName}, not registered with the store's serializer", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("before appending", error.Message, StringComparison.Ordinal);
    }

    private async Task<List<string>> KeywordsAsync(params string[] categories)
    {
        await using var command = Database.DataSource.CreateCommand("SELECT word FROM pg_get_keywords() WHERE catcode = ANY($1) ORDER BY word");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string[]> { TypedValue = categories });
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var words = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            words.Add(reader.GetString(0));
        }

        return words;
    }

    private async Task<List<string>> RelationsAsync()
    {
        await using var command = Database.DataSource.CreateCommand("SELECT relname::text FROM pg_class WHERE relnamespace = $1::regnamespace ORDER BY 1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = Schema });
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var names = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private static EntryTable<TextEntry> TextEntries(string table, params string[] columns) => TextEntries(table, columns, null);

    private static EntryTable<TextEntry> TextEntries(string table, string[] columns, string? index) =>
        new(table, columns.Select(c => ProjectionColumn<TextEntry>.Text(c, e => e.Text)).ToList(), index is null ? null : [index]);

    public sealed record TextRow(string Text);

    public sealed record TextEntry(string Text);

    /// <summary>A projection of notes whose every part can be set: one row per stream, holding its last note's text in every column.</summary>
    private sealed class ShapedProjection(string name = "shaped", ProjectionMode mode = ProjectionMode.Async) : Projection<TextRow>
    {
        public override string Name => name;

        public override ProjectionMode Mode => mode;

        public override bool ReadsMetadata => false;

        public string? Table { get; init; }

        public override string TableName => Table ?? name;

        public IReadOnlyList<string> ColumnNames { get; init; } = ["text"];

        public override IReadOnlyList<ProjectionColumn<TextRow>> Columns => ColumnNames.Select(c => ProjectionColumn<TextRow>.Text(c, r => r.Text)).ToList();

        public IReadOnlyList<string> IndexColumns { get; init; } = [];

        public override IReadOnlyList<string> Indexes => IndexColumns;

        public IReadOnlyList<string> CorrelatedGroups { get; init; } = [];

        public override IReadOnlyList<string> CorrelatedColumns => CorrelatedGroups;

        public IReadOnlyList<EntryTable> Entries { get; init; } = [];

        public override IReadOnlyList<EntryTable> EntryTables => Entries;

        public IReadOnlyCollection<Type> Handles { get; init; } = [typeof(NoteAdded)];

        public override IReadOnlyCollection<Type> EventTypes => Handles;

        public override TextRow? Apply(TextRow? row, RecordedEvent recorded, ProjectionOutput output)
        {
            if (recorded.Data is not NoteAdded note)
            {
                return row;
            }

            if (EntryTables.Count > 0)
            {
                output.Emit(new TextEntry(note.Text));
            }

            return new TextRow(note.Text);
        }
    }
}
