using EventCase.EventStore.Schema;
using EventCase.EventStore.Tests.Support;
using EventCase.Testing;
using Npgsql;

namespace EventCase.EventStore.Tests.Schema;

public sealed class SchemaMigrationTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PostgresEventStore StoreIn(NpgsqlDataSource dataSource, string schema) =>
        new(dataSource, new EventCase.EventStore.Serialization.EventSerializer(TestEvents.Registry()), new EventStoreOptions { Schema = schema });

    [Fact]
    public async Task Migrating_twice_applies_each_script_once()
    {
        var store = StoreIn(database.DataSource, "twice");

        var first = await store.MigrateAsync(Ct);
        var second = await store.MigrateAsync(Ct);

        Assert.Equal(PostgresEventStore.Migrations.Select(m => m.Version), first);
        Assert.Empty(second);
        Assert.Equal(PostgresEventStore.Migrations.Max(m => m.Version), await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, "twice", PostgresEventStore.MigrationSet, Ct));
    }

    [Fact]
    public async Task A_schema_never_migrated_or_not_there_at_all_has_applied_version_zero()
    {
        await using (var create = database.DataSource.CreateCommand("CREATE SCHEMA IF NOT EXISTS never_migrated"))
        {
            await create.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal(0, await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, "never_migrated", PostgresEventStore.MigrationSet, Ct));
        Assert.Equal(0, await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, "no_such_schema", PostgresEventStore.MigrationSet, Ct));
    }

    [Fact]
    public async Task Several_processes_starting_at_the_same_moment_migrate_once_and_all_succeed()
    {
        // Separate data sources stand in for separate processes: nothing is shared but the server.
        var dataSources = Enumerable.Range(0, 6).Select(_ => NpgsqlDataSource.Create(database.ConnectionString)).ToArray();
        try
        {
            using var start = new Barrier(dataSources.Length);
            var runs = await Task.WhenAll(dataSources.Select(dataSource => Task.Run(async () =>
            {
                start.SignalAndWait(Ct);
                return await StoreIn(dataSource, "racing").MigrateAsync(Ct);
            }, Ct)));

            Assert.Single(runs, applied => applied.Count > 0);
            await using var count = database.DataSource.CreateCommand("SELECT count(*) FROM racing.schema_migrations");
            Assert.Equal((long)PostgresEventStore.Migrations.Count, await count.ExecuteScalarAsync(Ct));
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Two_schemas_in_one_database_are_two_independent_stores()
    {
        var north = StoreIn(database.DataSource, "north");
        var south = StoreIn(database.DataSource, "south");
        await north.MigrateAsync(Ct);
        await south.MigrateAsync(Ct);
        var stream = new StreamName("boston", "same-id");

        await north.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes("x", 2), Ct);
        await south.AppendToStreamAsync(stream, "thing", ExpectedVersion.NoStream, TestEvents.Notes("x", 1), Ct);

        Assert.Equal(2, (await north.GetStreamInfoAsync(stream, Ct))!.Version);
        Assert.Equal(1, (await south.GetStreamInfoAsync(stream, Ct))!.Version);
        Assert.Equal("south_appended", south.Options.NotificationChannel);
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_is_refused_with_both_checksums_and_what_the_operator_can_do()
    {
        var original = new Migration(1, "first", "CREATE TABLE __schema__.t (id int);");
        var edited = new Migration(1, "first", "CREATE TABLE __schema__.t (id bigint);");
        await SchemaMigrator.MigrateAsync(database.DataSource, "edited", "custom", [original], cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SchemaMigrator.MigrateAsync(database.DataSource, "edited", "custom", [edited], cancellationToken: Ct));

        // Seen by an operator upgrading a database another build made, not only by the developer who edited a script.
        Assert.Contains("Schema 'edited'", error.Message, StringComparison.Ordinal);
        Assert.Contains("custom 0001_first", error.Message, StringComparison.Ordinal);
        Assert.Contains("recorded checksum " + original.Checksum, error.Message, StringComparison.Ordinal);
        Assert.Contains("this build's " + edited.Checksum, error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", error.Message, StringComparison.Ordinal);
        Assert.Contains("restore a backup", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, "edited", "custom", Ct));
    }

    [Fact]
    public async Task A_schema_a_newer_build_migrated_is_refused_by_an_older_build_before_anything_is_touched()
    {
        Migration[] older = [new(1, "first", "CREATE TABLE __schema__.t (id int);")];
        Migration[] newer = [.. older, new(2, "second", "ALTER TABLE __schema__.t ADD COLUMN name text;"), new(3, "third", "CREATE TABLE __schema__.u (id int);")];
        await SchemaMigrator.MigrateAsync(database.DataSource, "newer", "custom", newer, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SchemaMigrator.MigrateAsync(database.DataSource, "newer", "custom", older, cancellationToken: Ct));

        Assert.Contains("Schema 'newer' has migration custom 0002 (and 1 more), which this build does not carry (it has up to 0001)", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", error.Message, StringComparison.Ordinal);
        Assert.Contains("restore the backup taken before the upgrade", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, "newer", "custom", Ct));
        // The build that made it still starts.
        Assert.Empty(await SchemaMigrator.MigrateAsync(database.DataSource, "newer", "custom", newer, cancellationToken: Ct));
    }

    [Fact]
    public void A_script_checked_out_with_CRLF_line_endings_has_the_checksum_of_its_LF_text()
    {
        // git on Windows (core.autocrlf) checks the .sql files out with CRLF, and they are embedded as checked out.
        var lf = new Migration(1, "first", "CREATE TABLE __schema__.t (\n    id int\n);\n");
        var crlf = new Migration(1, "first", "CREATE TABLE __schema__.t (\r\n    id int\r\n);\r\n");

        Assert.Equal(lf.Checksum, crlf.Checksum);
    }

    [Fact]
    public async Task A_schema_migrated_by_a_build_with_LF_scripts_starts_under_a_build_with_CRLF_scripts()
    {
        var lf = new Migration(1, "first", "CREATE TABLE __schema__.t (\n    id int\n);\n");
        var crlf = new Migration(1, "first", "CREATE TABLE __schema__.t (\r\n    id int\r\n);\r\n");
        await SchemaMigrator.MigrateAsync(database.DataSource, "lf_then_crlf", "custom", [lf], cancellationToken: Ct);

        Assert.Empty(await SchemaMigrator.MigrateAsync(database.DataSource, "lf_then_crlf", "custom", [crlf], cancellationToken: Ct));
    }

    [Fact]
    public async Task A_schema_a_build_with_CRLF_scripts_recorded_the_raw_checksum_of_starts_under_a_build_with_LF_scripts()
    {
        // Builds before line endings were normalized recorded the SHA-256 of the script's bytes as checked out.
        const string CrLfText = "CREATE TABLE __schema__.t (\r\n    id int\r\n);\r\n";
        var raw = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(CrLfText)));
        await SchemaMigrator.MigrateAsync(database.DataSource, "crlf_then_lf", "custom", [new Migration(1, "first", CrLfText)], cancellationToken: Ct);
        await using (var record = database.DataSource.CreateCommand("UPDATE crlf_then_lf.schema_migrations SET checksum = $1"))
        {
            record.Parameters.AddWithValue(raw);
            await record.ExecuteNonQueryAsync(Ct);
        }

        var lf = new Migration(1, "first", "CREATE TABLE __schema__.t (\n    id int\n);\n");

        Assert.Empty(await SchemaMigrator.MigrateAsync(database.DataSource, "crlf_then_lf", "custom", [lf], cancellationToken: Ct));
    }

    [Fact]
    public async Task A_failing_migration_leaves_the_schema_as_it_was()
    {
        var good = new Migration(1, "good", "CREATE TABLE __schema__.good (id int);");
        var bad = new Migration(2, "bad", "CREATE TABLE __schema__.half (id int); SELECT no_such_function();");
        await SchemaMigrator.MigrateAsync(database.DataSource, "failing", "custom", [good], cancellationToken: Ct);

        await Assert.ThrowsAsync<PostgresException>(() =>
            SchemaMigrator.MigrateAsync(database.DataSource, "failing", "custom", [good, bad], cancellationToken: Ct));

        await using var command = database.DataSource.CreateCommand("SELECT to_regclass('failing.half') IS NULL");
        Assert.True((bool)(await command.ExecuteScalarAsync(Ct))!);
        Assert.Equal(1, await SchemaMigrator.GetAppliedVersionAsync(database.DataSource, "failing", "custom", Ct));
    }

    [Theory]
    [InlineData("Public")]
    [InlineData("x; DROP SCHEMA public")]
    [InlineData("")]
    [InlineData("1abc")]
    public void A_schema_name_that_is_not_a_plain_identifier_is_refused(string schema)
    {
        Assert.Throws<ArgumentException>(() => StoreIn(database.DataSource, schema));
    }

    [Fact]
    public async Task The_json_documents_carry_no_statistics_while_the_columns_queries_filter_on_keep_theirs()
    {
        await StoreIn(database.DataSource, "stats").MigrateAsync(Ct);

        // attstattarget: 0 = not sampled by ANALYZE; -1 (or null from PostgreSQL 17) = the default target.
        await using var command = database.DataSource.CreateCommand(
            """
            SELECT c.relname || '.' || a.attname, coalesce(a.attstattarget, -1)
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'stats' AND c.relname IN ('events', 'snapshots') AND a.attnum > 0 AND NOT a.attisdropped
            """);
        var targets = new Dictionary<string, int>();
        await using (var reader = await command.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                targets[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Assert.Equal(0, targets["events.data"]);
        Assert.Equal(0, targets["events.metadata"]);
        Assert.Equal(0, targets["snapshots.state"]);
        Assert.Equal(-1, targets["events.stream_id"]);
        Assert.Equal(-1, targets["events.event_type"]);
        Assert.Equal(-1, targets["events.recorded_at"]);
    }
}
