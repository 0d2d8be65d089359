using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EventCase.EventStore.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace EventCase.EventStore.Projections;

/// <summary>The I/O side of a projection: DDL, applying a batch in a transaction, and rebuilding in memory.</summary>
internal abstract class ProjectionRunner
{
    private readonly ConcurrentDictionary<string, bool> _handledByStoredName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _handledNames;

    protected ProjectionRunner(Projection projection, EventSerializer serializer)
    {
        Projection = projection;
        Serializer = serializer;
        _handledNames = projection.EventTypes.Select(serializer.Registry.GetName).ToHashSet(StringComparer.Ordinal);
    }

    public Projection Projection { get; }

    protected EventSerializer Serializer { get; }

    /// <summary>True when events stored under <paramref name="storedTypeName"/> (or an upcast of it) are handled.</summary>
    public bool Handles(string storedTypeName) =>
        // Called per event and projection: the static factory with an argument allocates no closure.
        _handledByStoredName.GetOrAdd(storedTypeName, static (name, self) => self._handledNames.Contains(self.Serializer.Registry.ResolveName(name)), this);

    /// <summary>Creates the tables (with keys and indexes) when missing.</summary>
    public abstract IEnumerable<string> CreateTablesSql(string schema, string suffix, bool withIndexes);

    /// <summary>Every typed column the projection declares, by table (without the schema): the row table's and its entry tables'.</summary>
    public abstract IEnumerable<(string Table, string Column, string SqlType)> DeclaredColumns();

    /// <summary>Adds keys and indexes after a bulk load.</summary>
    public abstract IEnumerable<string> CreateIndexesSql(string schema, string suffix);

    /// <summary>
    /// What a swap runs after the tables with <paramref name="suffix"/> took the live names and the old ones were
    /// dropped: objects named after their table (the tables' statistics) take the live names too.
    /// </summary>
    public virtual IEnumerable<string> GoLiveSql(string schema, string suffix) => [];

    /// <summary>
    /// Applies handled events of <paramref name="events"/> to the tables with <paramref name="suffix"/>. A
    /// <c>leading</c> statement (a lock) runs before the first statement that reads or writes a row, in its round trip;
    /// it is left out when no row is read or written.
    /// </summary>
    public async Task ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, string suffix, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken, NpgsqlBatchCommand? leading = null)
    {
        if (BeginApply(schema, suffix, events) is { } application)
        {
            try
            {
                await ApplyAllAsync(connection, transaction, [application], prepare: false, commit: false, cancellationToken, leading);
            }
            catch (PostgresException refused) when (ProjectionFailedException.IsRefusal(refused) && events.FirstOrDefault(e => Handles(e.StoredEventType)) is { } first)
            {
                // One statement wrote the whole batch's rows: the first event of the batch is named, the error says which value.
                throw new ProjectionFailedException(Projection.Name, first, refused);
            }
        }
    }

    /// <summary>
    /// The first step of applying <paramref name="events"/>: which rows they touch. Null when none of them is handled.
    /// Splitting the application in steps lets several projections share round trips (see <see cref="ApplyAllAsync"/>).
    /// </summary>
    public abstract PendingApplication? BeginApply(string schema, string suffix, IReadOnlyList<RecordedEvent> events);

    /// <summary>
    /// Applies several projections' pending applications in two round trips, whatever their number: one batch loads
    /// every row they touch, one batch writes every changed row (entry tables follow with one COPY each). With
    /// <paramref name="commit"/> (for a caller that would commit next anyway), the transaction commits with the writes, in
    /// their round trip, when nothing follows them (no entry to copy); it is then completed, and the result is true.
    /// </summary>
    /// <remarks>A <c>leading</c> statement (a lock) runs first, in the first round trip; it is left out when no row is read or written.</remarks>
    public static async Task<bool> ApplyAllAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        IReadOnlyList<PendingApplication> applications,
        bool prepare,
        bool commit,
        CancellationToken cancellationToken,
        NpgsqlBatchCommand? leading = null)
    {
        if (applications.Count == 0)
        {
            return false;
        }

        // The planner settings of the caller's transaction, when the loads changed them.
        string? settingsBefore = null;
        var loads = applications.Select(a => (Application: a, Command: a.CreateLoadCommand())).Where(l => l.Command is not null).ToList();
        if (loads.Count > 0)
        {
            await using var load = new NpgsqlBatch(connection, transaction);
            if (leading is not null)
            {
                load.BatchCommands.Add(leading);
            }

            load.BatchCommands.Add(KeyLookups.BatchCommand());
            foreach (var (_, command) in loads)
            {
                load.BatchCommands.Add(command!);
            }

            if (prepare)
            {
                await load.PrepareAsync(cancellationToken);
            }

            await using var reader = await load.ExecuteReaderAsync(cancellationToken);
            if (leading is not null)
            {
                await reader.NextResultAsync(cancellationToken);
                leading = null;
            }

            await reader.ReadAsync(cancellationToken);
            settingsBefore = reader.GetString(0);
            foreach (var (application, _) in loads)
            {
                await reader.NextResultAsync(cancellationToken);
                await application.ReadRowsAsync(reader, cancellationToken);
            }
        }

        await using (var write = new NpgsqlBatch(connection, transaction))
        {
            foreach (var application in applications)
            {
                foreach (var command in application.Apply())
                {
                    write.BatchCommands.Add(command);
                }
            }

            // The commit rides with the writes (one round trip fewer for every command) unless entries are still to be
            // copied after them; an empty batch leaves the commit to the caller.
            commit = commit && transaction is not null && write.BatchCommands.Count > 0 && !applications.Any(a => a.HasEntries);
            if (transaction is null && write.BatchCommands.Count > 0)
            {
                // Without a transaction each batch is its own: the setting must be made again.
                write.BatchCommands.Insert(0, KeyLookups.WritesCommand());
            }
            else if (transaction is not null && settingsBefore is not null)
            {
                // The writes' plans are cached again; the transaction goes on after this (the caller's, or the
                // append's): it gets its own settings back, unless it ends here (the settings are its own, set locally).
                write.BatchCommands.Insert(0, KeyLookups.WritesCommand(settingsBefore));
                if (!commit)
                {
                    write.BatchCommands.Add(KeyLookups.RestoreCommand(settingsBefore));
                }
            }

            if (commit)
            {
                write.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            }

            if (leading is not null && (write.BatchCommands.Count > 0 || applications.Any(a => a.HasEntries)))
            {
                // Nothing was loaded: the writes (or, when no row changed, the entries' copy that follows) are the first
                // statements on the tables.
                write.BatchCommands.Insert(0, leading);
            }

            if (write.BatchCommands.Count > 0)
            {
                if (prepare)
                {
                    await write.PrepareAsync(cancellationToken);
                }

                await write.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        foreach (var application in applications)
        {
            await application.CopyEntriesAsync(connection, cancellationToken);
        }

        return commit;
    }

    /// <summary>One projection's application of a list of events, in steps: load the rows, apply, write.</summary>
    internal abstract class PendingApplication
    {
        /// <summary>The statement that loads the touched rows (one result set), or null when none of them can exist yet.</summary>
        public abstract NpgsqlBatchCommand? CreateLoadCommand();

        /// <summary>Reads the load's result set (the reader is positioned on it).</summary>
        public abstract Task ReadRowsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken);

        /// <summary>Applies the events to the loaded rows and returns the statements writing the changed ones.</summary>
        public abstract IEnumerable<NpgsqlBatchCommand> Apply();

        /// <summary>True when <see cref="Apply"/> left entries for <see cref="CopyEntriesAsync"/> to write.</summary>
        public abstract bool HasEntries { get; }

        /// <summary>Writes the entries the events emitted.</summary>
        public abstract Task CopyEntriesAsync(NpgsqlConnection connection, CancellationToken cancellationToken);
    }

    /// <summary>Starts an in-memory rebuild.</summary>
    public abstract RebuildFold BeginRebuild();

    /// <summary>
    /// Whether every row is one stream's: an inline projection's by rule, an async one's when it keeps the default
    /// row key. Only then can one stream's rows be rebuilt alone (<see cref="BeginStreamRebuild"/>).
    /// </summary>
    public abstract bool RowsArePerStream { get; }

    /// <summary>
    /// Folds <paramref name="stream"/>'s events, from no row, in memory: those of <paramref name="events"/> (the stream's,
    /// in version order) up to <paramref name="upTo"/> (the projection's checkpoint; null for all). The result holds the
    /// statements that replace the stream's row and entries in the live tables, for the caller to send (with other
    /// projections', in shared round trips) while it holds the locks that keep anyone else from writing them.
    /// </summary>
    public abstract StreamRebuild BeginStreamRebuild(string schema, StreamName stream, IReadOnlyList<RecordedEvent> events, LogPosition? upTo);

    /// <summary>Statements that read what <paramref name="stream"/>'s row and entries hold: one result set each (see <see cref="ReadStreamSnapshotAsync"/>).</summary>
    public abstract IReadOnlyList<NpgsqlBatchCommand> StreamSnapshotCommands(string schema, StreamName stream);

    /// <summary>
    /// Reads the result sets of <see cref="StreamSnapshotCommands"/>: the reader is on the first, and is left on the
    /// last. The stream's rows, its entries and a digest of their values.
    /// </summary>
    public abstract Task<StreamSnapshot> ReadStreamSnapshotAsync(NpgsqlDataReader reader, CancellationToken cancellationToken);

    /// <summary>What a stream's rows and entries in a projection's live tables hold, to compare before and after.</summary>
    internal readonly record struct StreamSnapshot(int Rows, int Entries, string Digest);

    /// <summary>One projection's fold of one stream, written in steps its caller batches with other projections'.</summary>
    internal abstract class StreamRebuild
    {
        /// <summary>The statements deleting the stream's row and entries and writing the folded row.</summary>
        public abstract IReadOnlyList<NpgsqlBatchCommand> WriteCommands();

        /// <summary>Writes the folded entries (after <see cref="WriteCommands"/>).</summary>
        public abstract Task CopyEntriesAsync(NpgsqlConnection connection, CancellationToken cancellationToken);

        /// <summary>The result, from the snapshots before and after.</summary>
        public abstract StreamRebuildResult Result(StreamSnapshot before, StreamSnapshot after);
    }

    /// <summary>An in-memory fold of the whole log, written at the end with binary COPY.</summary>
    internal abstract class RebuildFold
    {
        public abstract void Apply(RecordedEvent recorded);

        /// <summary>Writes emitted entries so far (bounded memory for entry tables).</summary>
        public abstract Task FlushEntriesAsync(NpgsqlConnection connection, string schema, string suffix, CancellationToken cancellationToken);

        public abstract int PendingEntries { get; }

        public abstract Task WriteRowsAsync(NpgsqlConnection connection, string schema, string suffix, CancellationToken cancellationToken);
    }
}

/// <summary>
/// Raised when a projection cannot go on: its own code throws on an event (<see cref="Projection{TRow}.Apply"/>, its row
/// key, a column or entry value), a stored row no longer reads as its row type, or PostgreSQL refuses the values it
/// writes. None of these heals by trying again, so the daemon records it and stops that projection until resumed.
/// </summary>
public sealed class ProjectionFailedException : Exception
{
    /// <summary>Creates the exception for a failure on an event.</summary>
    public ProjectionFailedException(string projection, RecordedEvent recorded, Exception inner)
        : base($"Projection '{projection}' failed on event {recorded?.EventType} at position {recorded?.Position} (stream {recorded?.Stream}, version {recorded?.StreamVersion}): {inner?.Message}", inner)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ProjectionName = projection;
        Event = recorded;
    }

    /// <summary>Creates the exception for a failure no single event can be named for (a rebuild writing its rows).</summary>
    /// <param name="projection">The projection.</param>
    /// <param name="what">What it was doing, e.g. "writing row 'boston/42' of table open_cases".</param>
    /// <param name="inner">What failed.</param>
    public ProjectionFailedException(string projection, string what, Exception inner)
        : base($"Projection '{projection}' failed {what}: {inner?.Message}", inner)
    {
        ProjectionName = projection;
    }

    /// <summary>The projection.</summary>
    public string ProjectionName { get; }

    /// <summary>The event it failed on; null when the failure is not one event's (a rebuild writing its rows).</summary>
    public RecordedEvent? Event { get; }

    /// <summary>
    /// True for the errors of PostgreSQL that trying again cannot cure: a value it refuses (class 22: a NUL character,
    /// a number out of range), a broken constraint (23), a statement that does not fit the table (42: a column that is
    /// not there), a limit (54: a value too large for an index).
    /// </summary>
    internal static bool IsRefusal(Exception exception) =>
        exception is PostgresException { SqlState: ['2', '2' or '3', ..] or ['4', '2', ..] or ['5', '4', ..] };

    /// <summary>True for what the projection's own code may throw (as opposed to the database, the network or a cancellation).</summary>
    internal static bool IsProjectionCode(Exception exception) =>
        exception is not (OperationCanceledException or NpgsqlException or ProjectionFailedException or TimeoutException or IOException);
}

internal sealed class RowProjectionRunner<TRow> : ProjectionRunner
    where TRow : class
{
    private readonly Projection<TRow> _projection;
    private readonly IReadOnlyList<ProjectionColumn<TRow>> _columns;
    private readonly IReadOnlyList<EntryTable> _entryTables;
    private readonly JsonSerializerOptions _json;
    private readonly JsonSerializerOptions _rowReading;
    private readonly IReadOnlyList<string> _correlated;

    // Whether every row is one stream's: an inline projection's by rule (KeyOf), an async one's when it keeps the
    // default RowKey. Then no row exists before a stream's first event (decision 0015).
    private readonly bool _rowPerStream;

    public RowProjectionRunner(Projection<TRow> projection, EventSerializer serializer)
        : base(projection, serializer)
    {
        _projection = projection;
        _columns = projection.Columns;
        _entryTables = projection.EntryTables;
        _json = serializer.Options;
        // Rows are derived data, rebuilt from the log: a stored row written by an earlier version of the projection may
        // carry members this one no longer has, and is read all the same (an inline projection's appends go on with the
        // new code until the new version's rebuild replaces every row). Events stay strict.
        _rowReading = new JsonSerializerOptions(serializer.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };
        var names = _columns.Select(c => c.Name).ToList();
        if (names.Intersect(["tenant_id", "row_key", "row_data"], StringComparer.Ordinal).Any() || names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            throw new ArgumentException($"Projection '{projection.Name}': column names must be unique and not tenant_id, row_key or row_data.");
        }

        ValidateEntryTables(projection, _entryTables);
        foreach (var index in projection.Indexes)
        {
            ValidateIndex(projection, projection.TableName, ["tenant_id", "row_key", .. names], index);
        }

        foreach (var table in _entryTables)
        {
            foreach (var index in table.IndexColumns)
            {
                ValidateIndex(projection, table.Name, ["entry_id", "tenant_id", "row_key", .. table.ColumnNames], index);
            }
        }

        _correlated = projection.CorrelatedColumns.Select(group => CorrelatedGroup(projection, names, group)).ToList();
        _rowPerStream = projection.Mode == ProjectionMode.Inline || !OverridesRowKey(projection);
    }

    /// <summary>
    /// Checks at registration what would otherwise fail later: a column an entry table has already (its key and the
    /// emitting row's <c>tenant_id</c> and <c>row_key</c>), which PostgreSQL refuses at MigrateAsync as "specified more
    /// than once"; and two entry tables taking one entry type, which <see cref="ProjectionOutput.Emit{TEntry}"/> could not
    /// tell apart, and which failed at the first event applied.
    /// </summary>
    private static void ValidateEntryTables(Projection<TRow> projection, IReadOnlyList<EntryTable> entryTables)
    {
        foreach (var table in entryTables)
        {
            if (table is null)
            {
                throw new ArgumentException($"Projection '{projection.Name}' lists a null entry table.");
            }

            var columns = table.ColumnNames;
            if (columns.FirstOrDefault(column => column is "entry_id" or "tenant_id" or "row_key") is { } fixedColumn)
            {
                throw new ArgumentException(
                    $"Projection '{projection.Name}': entry table '{table.Name}' declares a column '{fixedColumn}', which every entry table has already (entry_id, tenant_id and row_key of the row that emitted the entry); choose another name.");
            }

            if (columns.GroupBy(column => column, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1) is { } repeated)
            {
                throw new ArgumentException($"Projection '{projection.Name}': entry table '{table.Name}' declares column '{repeated.Key}' more than once.");
            }
        }

        if (entryTables.GroupBy(table => table.EntryType).FirstOrDefault(group => group.Count() > 1) is { } shared)
        {
            throw new ArgumentException(
                $"Projection '{projection.Name}': entry tables {string.Join(" and ", shared.Select(table => $"'{table.Name}'"))} both take entries of type {shared.Key.Name}; " +
                "output.Emit chooses the table by the entry's type, so give each table an entry type of its own.");
        }
    }

    /// <summary>
    /// Checks an index at registration: it goes into SQL as written, and a column the table does not have (a typo, a
    /// column since renamed) otherwise failed MigrateAsync with PostgreSQL's error, after the store's own migrations, or
    /// a later rebuild, when the index was added with a version bump. An index is a list of the table's columns, each
    /// optionally followed by ASC or DESC and by NULLS FIRST or NULLS LAST; nothing else reaches the SQL.
    /// </summary>
    private static void ValidateIndex(Projection<TRow> projection, string table, IReadOnlyList<string> tableColumns, string? index)
    {
        foreach (var item in (index ?? string.Empty).Split(','))
        {
            var words = item.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var problem = words.Length == 0 ? "an empty column"
                : !tableColumns.Contains(words[0], StringComparer.Ordinal) ? $"'{words[0]}', which is not a column of table '{table}' ({string.Join(", ", tableColumns)})"
                : !IsIndexOrder(words.AsSpan(1)) ? $"'{item.Trim()}', whose order is not ASC or DESC followed by NULLS FIRST or NULLS LAST"
                : null;
            if (problem is not null)
            {
                throw new ArgumentException(
                    $"Projection '{projection.Name}': index '{index}' names {problem}; an index is a list of the table's columns, each optionally followed by ASC or DESC and by NULLS FIRST or NULLS LAST.");
            }
        }
    }

    /// <summary>Whether <paramref name="words"/> (what follows a column in an index) are <c>[ASC | DESC] [NULLS FIRST | NULLS LAST]</c>.</summary>
    private static bool IsIndexOrder(ReadOnlySpan<string> words)
    {
        var next = 0;
        if (next < words.Length && (Is(words[next], "ASC") || Is(words[next], "DESC")))
        {
            next++;
        }

        if (next + 1 < words.Length && Is(words[next], "NULLS") && (Is(words[next + 1], "FIRST") || Is(words[next + 1], "LAST")))
        {
            next += 2;
        }

        return next == words.Length;

        static bool Is(string word, string keyword) => string.Equals(word, keyword, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when the projection's class (or a base between it and <see cref="Projection{TRow}"/>) overrides <see cref="Projection{TRow}.RowKey"/>.</summary>
    private static bool OverridesRowKey(Projection<TRow> projection) =>
        projection.GetType().GetMethod(nameof(Projection<TRow>.RowKey), [typeof(RecordedEvent)])?.DeclaringType != typeof(Projection<TRow>);

    /// <summary>A correlated-columns group in a normal form (validated: known columns, at least two, none twice).</summary>
    private static string CorrelatedGroup(Projection<TRow> projection, List<string> columnNames, string group)
    {
        var columns = (group ?? string.Empty).Split(',', StringSplitOptions.TrimEntries);
        foreach (var column in columns)
        {
            if (column is not ("tenant_id" or "row_key") && !columnNames.Contains(column, StringComparer.Ordinal))
            {
                throw new ArgumentException($"Projection '{projection.Name}': correlated columns '{group}' name '{column}', which is not tenant_id, row_key or one of its columns.");
            }
        }

        if (columns.Length < 2 || columns.Distinct(StringComparer.Ordinal).Count() != columns.Length)
        {
            throw new ArgumentException($"Projection '{projection.Name}': correlated columns '{group}' must name at least two different columns.");
        }

        return string.Join(", ", columns);
    }

    /// <summary>
    /// The name of a correlated group's statistics on the table with <paramref name="suffix"/>. Statistics need a name
    /// unique in the schema (PostgreSQL 15 picks none itself): the table name and a digest of suffix and columns, so
    /// a shadow's never clash with the live table's, and at most 60 characters (table names have at most 50).
    /// </summary>
    private string StatisticsName(string suffix, string columns)
    {
        var digest = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(suffix + "\n" + columns));
        return $"{_projection.TableName}_s{Convert.ToHexStringLower(digest, 0, 4)}";
    }

    /// <summary>
    /// Creates a group's statistics when missing. When they are new on a table that has rows (a store made before the
    /// group was declared), the table is analyzed at once, so the planner need not wait for autovacuum to use them.
    /// </summary>
    private string CreateStatisticsSql(string schema, string suffix, string columns, bool analyze)
    {
        var name = StatisticsName(suffix, columns);
        var table = Table(schema, suffix);
        return $"""
                DO $stats$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_statistic_ext WHERE stxname = '{name}' AND stxnamespace = '{schema}'::regnamespace) THEN
                        CREATE STATISTICS {schema}.{name} (dependencies) ON {columns} FROM {table};
                        {(analyze ? $"ANALYZE {table};" : string.Empty)}
                    END IF;
                END $stats$
                """;
    }

    private string Table(string schema, string suffix) => $"{schema}.{_projection.TableName}{suffix}";

    public override IEnumerable<(string Table, string Column, string SqlType)> DeclaredColumns()
    {
        foreach (var column in _columns)
        {
            yield return (_projection.TableName, column.Name, column.SqlType);
        }

        foreach (var entries in _entryTables)
        {
            foreach (var (name, definition) in entries.ColumnNames.Zip(entries.ColumnDefinitions))
            {
                yield return (entries.Name, name, definition[(name.Length + 1)..]);
            }
        }
    }

    public override IEnumerable<string> CreateTablesSql(string schema, string suffix, bool withIndexes)
    {
        var columns = string.Concat(_columns.Select(c => $", {c.Name} {c.SqlType}"));
        // The row document is stored and read back whole, never queried into (the typed columns are for that): json,
        // which PostgreSQL only validates and returns as written, rather than jsonb, which it parses into a tree on
        // every write and renders back on every read (decision 0012). Tables made before keep jsonb until their next
        // rebuild; every statement here works with either.
        yield return CreateTableSql(
            Table(schema, suffix),
            $"tenant_id text NOT NULL, row_key text NOT NULL, row_data json NOT NULL{columns}{(withIndexes ? ", PRIMARY KEY (tenant_id, row_key)" : string.Empty)}",
            withIndexes ? _projection.Indexes : []);

        // No query filters on the row document, and sampling it was three quarters of the time ANALYZE spent on a
        // table (the one a rebuild runs before its swap). The lock this takes does not block reads or writes.
        yield return $"ALTER TABLE {Table(schema, suffix)} ALTER COLUMN row_data SET STATISTICS 0";
        foreach (var entries in _entryTables)
        {
            var entryColumns = string.Concat(entries.ColumnDefinitions.Select(c => ", " + c));
            yield return CreateTableSql(
                $"{schema}.{entries.Name}{suffix}",
                $"entry_id bigint GENERATED BY DEFAULT AS IDENTITY{(withIndexes ? " PRIMARY KEY" : string.Empty)}, tenant_id text NOT NULL, row_key text NOT NULL{entryColumns}",
                withIndexes ? entries.IndexColumns : []);
        }

        if (withIndexes)
        {
            foreach (var group in _correlated)
            {
                yield return CreateStatisticsSql(schema, suffix, group, analyze: true);
            }

            // Earlier versions added one more copy of every index at every start: drop the copies (a table that has
            // none is left alone; dropping one blocks the table for a moment, once).
            yield return DropDuplicateIndexesSql(Table(schema, suffix));
            foreach (var entries in _entryTables)
            {
                yield return DropDuplicateIndexesSql($"{schema}.{entries.Name}{suffix}");
            }
        }
    }

    private static string DropDuplicateIndexesSql(string table) =>
        $"""
         DO $dedup$
         DECLARE copy regclass;
         BEGIN
             FOR copy IN
                 SELECT i.indexrelid::regclass FROM pg_index i
                  WHERE i.indrelid = '{table}'::regclass AND NOT i.indisprimary
                    AND EXISTS (SELECT 1 FROM pg_index o
                                 WHERE o.indrelid = i.indrelid AND o.indexrelid < i.indexrelid
                                   AND o.indkey = i.indkey AND o.indclass = i.indclass AND o.indoption = i.indoption
                                   AND o.indisunique = i.indisunique
                                   AND pg_get_expr(o.indpred, o.indrelid) IS NOT DISTINCT FROM pg_get_expr(i.indpred, i.indrelid)
                                   AND pg_get_expr(o.indexprs, o.indrelid) IS NOT DISTINCT FROM pg_get_expr(i.indexprs, i.indrelid))
             LOOP
                 EXECUTE format('DROP INDEX %s', copy);
             END LOOP;
         END $dedup$
         """;

    /// <summary>
    /// Creates a table with its indexes only when it does not exist, all in one statement. The indexes are unnamed (so
    /// a shadow table's never clash with the live one's), so they cannot say "if not exists" themselves: creating them
    /// whenever the store starts had added one more copy of every index at every start.
    /// </summary>
    private static string CreateTableSql(string table, string definition, IReadOnlyList<string> indexes)
    {
        var sql = new StringBuilder()
            .Append("DO $create$ BEGIN IF to_regclass('").Append(table).Append("') IS NULL THEN ")
            .Append("CREATE TABLE ").Append(table).Append(" (").Append(definition).Append("); ");
        foreach (var index in indexes)
        {
            sql.Append("CREATE INDEX ON ").Append(table).Append(" (").Append(index).Append("); ");
        }

        return sql.Append("END IF; END $create$").ToString();
    }

    public override IEnumerable<string> CreateIndexesSql(string schema, string suffix)
    {
        yield return $"ALTER TABLE {Table(schema, suffix)} ADD PRIMARY KEY (tenant_id, row_key)";
        foreach (var entries in _entryTables)
        {
            yield return $"ALTER TABLE {schema}.{entries.Name}{suffix} ADD PRIMARY KEY (entry_id)";
        }

        foreach (var sql in SecondaryIndexesSql(schema, suffix))
        {
            yield return sql;
        }

        // Before the rebuild's ANALYZE, which computes them.
        foreach (var columns in _correlated)
        {
            yield return CreateStatisticsSql(schema, suffix, columns, analyze: false);
        }
    }

    public override IEnumerable<string> GoLiveSql(string schema, string suffix)
    {
        foreach (var columns in _correlated)
        {
            yield return $"ALTER STATISTICS {schema}.{StatisticsName(suffix, columns)} RENAME TO {StatisticsName(string.Empty, columns)}";
        }
    }

    // Unnamed indexes: PostgreSQL picks a free name, so a shadow table's indexes never clash with the live ones'.
    private IEnumerable<string> SecondaryIndexesSql(string schema, string suffix)
    {
        foreach (var index in _projection.Indexes)
        {
            yield return $"CREATE INDEX ON {Table(schema, suffix)} ({index})";
        }

        foreach (var entries in _entryTables)
        {
            foreach (var index in entries.IndexColumns)
            {
                yield return $"CREATE INDEX ON {schema}.{entries.Name}{suffix} ({index})";
            }
        }
    }

    /// <summary>
    /// The row an event changes. An inline projection must keep one row per stream (its row key is the stream id, or
    /// null to skip the event): an append holds only its own stream's lock, so two appends to different streams could
    /// otherwise change one row at once and one change would be lost. A projection that breaks the rule fails on the
    /// first such event (an append, inline, is refused) instead of losing updates without a trace.
    /// </summary>
    private string? KeyOf(RecordedEvent recorded)
    {
        string? key;
        try
        {
            key = _projection.RowKey(recorded);
        }
        catch (Exception e) when (ProjectionFailedException.IsProjectionCode(e))
        {
            throw new ProjectionFailedException(_projection.Name, recorded, e);
        }

        if (_projection.Mode == ProjectionMode.Inline && key is not null && !string.Equals(key, recorded.Stream.Id, StringComparison.Ordinal))
        {
            throw new ProjectionFailedException(
                _projection.Name,
                recorded,
                new InvalidOperationException($"an inline projection keeps one row per stream, but RowKey gave '{key}' for an event of stream '{recorded.Stream.Id}'; make the projection async to aggregate across streams."));
        }

        return key;
    }

    public override PendingApplication? BeginApply(string schema, string suffix, IReadOnlyList<RecordedEvent> events)
    {
        List<(RecordedEvent Event, (string Tenant, string Key) Key)>? keyed = null;
        foreach (var recorded in events)
        {
            if (!Handles(recorded.StoredEventType))
            {
                continue;
            }

            var key = KeyOf(recorded);
            if (key is not null)
            {
                (keyed ??= new List<(RecordedEvent, (string, string))>(events.Count)).Add((recorded, (recorded.Stream.Tenant, key)));
            }
        }

        return keyed is null ? null : new Application(this, schema, suffix, keyed);
    }

    private sealed class Application(
        RowProjectionRunner<TRow> runner, string schema, string suffix, List<(RecordedEvent Event, (string Tenant, string Key) Key)> keyed)
        : PendingApplication
    {
        private readonly Dictionary<(string, string), TRow?> _rows = new(keyed.Count);
        private readonly List<(string Tenant, string Key, EntryTable Table, object Entry)> _entries = [];

        // The event that emitted each entry, to name it when the entry's values cannot be taken.
        private readonly List<RecordedEvent> _entryEvents = [];

        public override NpgsqlBatchCommand? CreateLoadCommand()
        {
            var keys = KeysToLoad();
            if (keys.Count == 0)
            {
                return null;
            }

            if (keys.Count == 1)
            {
                // An append's usual case, one stream: planning a key equality costs a quarter of planning a join with
                // an array of keys, and lookups are planned at every execution (decision 0014).
                var single = new NpgsqlBatchCommand(
                    $"SELECT t.tenant_id, t.row_key, t.row_data::text FROM {runner.Table(schema, suffix)} t WHERE t.tenant_id = $1 AND t.row_key = $2");
                single.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys[0].Tenant });
                single.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keys[0].Key });
                return single;
            }

            var command = new NpgsqlBatchCommand(
                $"SELECT t.tenant_id, t.row_key, t.row_data::text FROM {runner.Table(schema, suffix)} t JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, row_key) ON t.tenant_id = k.tenant_id AND t.row_key = k.row_key");
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.Tenant).ToArray() });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.Key).ToArray() });
            return command;
        }

        /// <summary>
        /// The rows that may exist already. When every row is its stream's (an inline projection's, by the rule
        /// <see cref="KeyOf"/> enforces; an async one's that keeps the default row key), a stream whose first event here
        /// is its first event of all (a new case) has none: an open loads nothing. A stream's events are in the log in
        /// their version order (an append refuses to write behind a younger transaction), so no event of it was
        /// applied before its first.
        /// </summary>
        private List<(string Tenant, string Key)> KeysToLoad()
        {
            var seen = new HashSet<(string, string)>();
            var keys = new List<(string Tenant, string Key)>();
            foreach (var (recorded, key) in keyed)
            {
                if (seen.Add(key) && !(runner._rowPerStream && recorded.StreamVersion == 1))
                {
                    keys.Add(key);
                }
            }

            return keys;
        }

        public override async Task ReadRowsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                try
                {
                    _rows[key] = JsonSerializer.Deserialize<TRow>(reader.GetString(2), runner._rowReading);
                }
                catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
                {
                    throw new ProjectionFailedException(
                        runner._projection.Name,
                        keyed.First(k => k.Key == key).Event,
                        new InvalidOperationException(
                            $"its stored row '{key.Item1}/{key.Item2}' no longer reads as {typeof(TRow).Name} ({e.Message}); when the row's shape changes, bump the projection's Version so that it is rebuilt",
                            e));
                }
            }
        }

        public override IEnumerable<NpgsqlBatchCommand> Apply()
        {
            var dirty = new HashSet<(string, string)>();
            var output = new ProjectionOutput(runner._entryTables);
            foreach (var (recorded, key) in keyed)
            {
                _rows.TryGetValue(key, out var row);
                output.Clear();
                TRow? next;
                try
                {
                    next = runner._projection.Apply(row, recorded, output);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new ProjectionFailedException(runner._projection.Name, recorded, e);
                }

                foreach (var (table, entry) in output.Entries)
                {
                    _entries.Add((key.Tenant, key.Key, table, entry));
                    _entryEvents.Add(recorded);
                }

                if (!ReferenceEquals(next, row))
                {
                    _rows[key] = next;
                    dirty.Add(key);
                }
            }

            var upserts = dirty.Where(k => _rows[k] is not null).Select(k => (k.Item1, k.Item2, _rows[k]!)).ToList();
            var deletes = dirty.Where(k => _rows[k] is null).ToList();
            var commands = new List<NpgsqlBatchCommand>(2);
            if (upserts.Count > 0)
            {
                try
                {
                    commands.Add(runner.CreateUpsertCommand(schema, suffix, upserts));
                }
                catch (Exception e) when (ProjectionFailedException.IsProjectionCode(e))
                {
                    throw FailureOfRow(upserts, e);
                }
            }

            if (deletes.Count > 0)
            {
                var delete = new NpgsqlBatchCommand(
                    $"DELETE FROM {runner.Table(schema, suffix)} t USING unnest($1::text[], $2::text[]) AS k(tenant_id, row_key) WHERE t.tenant_id = k.tenant_id AND t.row_key = k.row_key");
                delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deletes.Select(k => k.Item1).ToArray() });
                delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = deletes.Select(k => k.Item2).ToArray() });
                commands.Add(delete);
            }

            return commands;
        }

        public override bool HasEntries => _entries.Count > 0;

        public override async Task CopyEntriesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
        {
            if (_entries.Count == 0)
            {
                return;
            }

            try
            {
                await RowProjectionRunner<TRow>.CopyEntriesAsync(connection, schema, suffix, _entries, cancellationToken);
            }
            catch (EntryWriteException failed)
            {
                throw new ProjectionFailedException(runner._projection.Name, _entryEvents[failed.Index], failed.InnerException!);
            }
        }

        /// <summary>
        /// The failure of a row whose values could not be taken (its JSON or a column's value threw): found by taking
        /// each row's values again, alone, and named by the last event applied to it.
        /// </summary>
        private ProjectionFailedException FailureOfRow(List<(string Tenant, string Key, TRow Row)> upserts, Exception error)
        {
            foreach (var (tenant, key, row) in upserts)
            {
                try
                {
                    JsonSerializer.Serialize(row, runner._json);
                    foreach (var column in runner._columns)
                    {
                        column.ArrayParameter([row]);
                    }
                }
                catch (Exception e) when (ProjectionFailedException.IsProjectionCode(e))
                {
                    return new ProjectionFailedException(runner._projection.Name, keyed.Last(k => k.Key == (tenant, key)).Event, e);
                }
            }

            return new ProjectionFailedException(runner._projection.Name, keyed[^1].Event, error);
        }
    }

    /// <summary>An entry's values could not be taken (a column's value threw); <see cref="Index"/> is the entry's place in the list written.</summary>
    private sealed class EntryWriteException(int index, Exception inner) : Exception(inner.Message, inner)
    {
        public int Index { get; } = index;
    }

    private string? _upsertSqlTemplate;

    private NpgsqlBatchCommand CreateUpsertCommand(string schema, string suffix, List<(string Tenant, string Key, TRow Row)> upserts)
    {
        var command = new NpgsqlBatchCommand(UpsertSql(schema, suffix));
        var rows = upserts.Select(u => u.Row).ToList();
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = upserts.Select(u => u.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = upserts.Select(u => u.Key).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => JsonSerializer.Serialize(r, _json)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Json });
        foreach (var column in _columns)
        {
            command.Parameters.Add(column.ArrayParameter(rows));
        }

        return command;
    }

    private string UpsertSql(string schema, string suffix)
    {
        // The statement only differs by table name; the rest is built once.
        var template = _upsertSqlTemplate;
        if (template is null)
        {
            var sql = new StringBuilder()
                .Append("INSERT INTO {0} (tenant_id, row_key, row_data");
            foreach (var column in _columns)
            {
                sql.Append(", ").Append(column.Name);
            }

            // json converts to jsonb on assignment: the same statement writes a table made before decision 0012.
            sql.Append(") SELECT * FROM unnest($1::text[], $2::text[], $3::json[]");
            for (var i = 0; i < _columns.Count; i++)
            {
                sql.Append(", $").Append(i + 4).Append("::").Append(_columns[i].SqlType).Append("[]");
            }

            sql.Append(") ON CONFLICT (tenant_id, row_key) DO UPDATE SET row_data = EXCLUDED.row_data");
            foreach (var column in _columns)
            {
                sql.Append(", ").Append(column.Name).Append(" = EXCLUDED.").Append(column.Name);
            }

            template = sql.ToString();
            _upsertSqlTemplate = template;
        }

        return template.Replace("{0}", Table(schema, suffix), StringComparison.Ordinal);
    }

    private static async Task CopyEntriesAsync(NpgsqlConnection connection, string schema, string suffix, IReadOnlyList<(string Tenant, string Key, EntryTable Table, object Entry)> entries, CancellationToken cancellationToken)
    {
        foreach (var group in entries.Select((e, index) => (e.Tenant, e.Key, e.Table, e.Entry, Index: index)).GroupBy(e => e.Table))
        {
            var columns = string.Join(", ", new[] { "tenant_id", "row_key" }.Concat(group.Key.ColumnNames));
            await using var importer = await connection.BeginBinaryImportAsync(
                $"COPY {schema}.{group.Key.Name}{suffix} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var (tenant, key, table, entry, index) in group)
            {
                await importer.StartRowAsync(cancellationToken);
                importer.Write(tenant, NpgsqlDbType.Text);
                importer.Write(key, NpgsqlDbType.Text);
                try
                {
                    table.Write(importer, entry);
                }
                catch (Exception e) when (ProjectionFailedException.IsProjectionCode(e))
                {
                    // The COPY is abandoned (disposing the importer cancels it) and the transaction with it.
                    throw new EntryWriteException(index, e);
                }
            }

            await importer.CompleteAsync(cancellationToken);
        }
    }

    public override bool RowsArePerStream => _rowPerStream;

    public override StreamRebuild BeginStreamRebuild(string schema, StreamName stream, IReadOnlyList<RecordedEvent> events, LogPosition? upTo)
    {
        if (!_rowPerStream)
        {
            throw new InvalidOperationException($"Projection '{_projection.Name}' keys its rows by something else than the stream; it can only be rebuilt whole.");
        }

        // The fold, from no row, exactly as the daemon or the appends would have applied these events one by one.
        TRow? row = null;
        var entries = new List<(string Tenant, string Key, EntryTable Table, object Entry)>();
        var entryEvents = new List<RecordedEvent>();
        var output = new ProjectionOutput(_entryTables);
        var applied = 0;
        RecordedEvent? last = null;
        foreach (var recorded in events)
        {
            if (upTo is { } limit && recorded.LogPosition > limit)
            {
                // A stream's events are in the log in their version order: the rest are after the checkpoint too.
                break;
            }

            if (!Handles(recorded.StoredEventType) || KeyOf(recorded) is null)
            {
                continue;
            }

            output.Clear();
            try
            {
                row = _projection.Apply(row, recorded, output);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new ProjectionFailedException(_projection.Name, recorded, e);
            }

            foreach (var (table, entry) in output.Entries)
            {
                entries.Add((stream.Tenant, stream.Id, table, entry));
                entryEvents.Add(recorded);
            }

            applied++;
            last = recorded;
        }

        return new OneStream(this, schema, stream, upTo, row, last, applied, entries, entryEvents);
    }

    /// <summary>The live row table, then the entry tables, schema-qualified.</summary>
    private IEnumerable<string> LiveTables(string schema) => [Table(schema, string.Empty), .. _entryTables.Select(t => $"{schema}.{t.Name}")];

    private static NpgsqlBatchCommand ForStream(string sql, StreamName stream)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Tenant });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream.Id });
        return command;
    }

    /// <remarks>
    /// Every column but the entries' ids (which a rewrite draws anew) goes into the digest, the row document compared
    /// as JSON, not as text.
    /// </remarks>
    public override IReadOnlyList<NpgsqlBatchCommand> StreamSnapshotCommands(string schema, StreamName stream) =>
        LiveTables(schema).Select((table, i) => ForStream(
            $"SELECT count(*)::int, md5(coalesce(jsonb_agg(to_jsonb(t) - 'entry_id' ORDER BY {(i == 0 ? "t.row_key" : "t.entry_id")}), '[]'::jsonb)::text) FROM {table} t WHERE t.tenant_id = $1 AND t.row_key = $2",
            stream))
            .ToList();

    public override async Task<StreamSnapshot> ReadStreamSnapshotAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var rows = 0;
        var entryCount = 0;
        var digest = new StringBuilder();
        for (var i = 0; i <= _entryTables.Count; i++)
        {
            if (i > 0)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            await reader.ReadAsync(cancellationToken);
            if (i == 0)
            {
                rows = reader.GetInt32(0);
            }
            else
            {
                entryCount += reader.GetInt32(0);
            }

            digest.Append(reader.GetString(1)).Append(' ');
        }

        return new StreamSnapshot(rows, entryCount, digest.ToString());
    }

    private sealed class OneStream(
        RowProjectionRunner<TRow> runner,
        string schema,
        StreamName stream,
        LogPosition? upTo,
        TRow? row,
        RecordedEvent? last,
        int applied,
        List<(string Tenant, string Key, EntryTable Table, object Entry)> entries,
        List<RecordedEvent> entryEvents) : StreamRebuild
    {
        public override IReadOnlyList<NpgsqlBatchCommand> WriteCommands()
        {
            var commands = runner.LiveTables(schema).Select(table => ForStream($"DELETE FROM {table} WHERE tenant_id = $1 AND row_key = $2", stream)).ToList();
            if (row is not null)
            {
                try
                {
                    commands.Add(runner.CreateUpsertCommand(schema, string.Empty, [(stream.Tenant, stream.Id, row)]));
                }
                catch (Exception e) when (ProjectionFailedException.IsProjectionCode(e))
                {
                    throw new ProjectionFailedException(runner._projection.Name, last!, e);
                }
            }

            return commands;
        }

        public override async Task CopyEntriesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
        {
            try
            {
                await RowProjectionRunner<TRow>.CopyEntriesAsync(connection, schema, string.Empty, entries, cancellationToken);
            }
            catch (EntryWriteException failed)
            {
                throw new ProjectionFailedException(runner._projection.Name, entryEvents[failed.Index], failed.InnerException!);
            }
        }

        public override StreamRebuildResult Result(StreamSnapshot before, StreamSnapshot after) => new(
            runner._projection.Name,
            stream,
            applied,
            upTo,
            before.Rows,
            after.Rows,
            before.Entries,
            after.Entries,
            !string.Equals(before.Digest, after.Digest, StringComparison.Ordinal));
    }

    public override RebuildFold BeginRebuild() => new Fold(this);

    private sealed class Fold(RowProjectionRunner<TRow> runner) : RebuildFold
    {
        private readonly Dictionary<(string, string), TRow?> _rows = new(capacity: 1 << 16);
        private readonly List<(string Tenant, string Key, EntryTable Table, object Entry)> _entries = [];
        private readonly ProjectionOutput _output = new(runner._entryTables);

        public override int PendingEntries => _entries.Count;

        public override void Apply(RecordedEvent recorded)
        {
            var keyText = runner.KeyOf(recorded);
            if (keyText is null)
            {
                return;
            }

            var key = (recorded.Stream.Tenant, keyText);
            // One lookup for the read and the write (a missing row starts as null, as the projection expects).
            ref var row = ref CollectionsMarshal.GetValueRefOrAddDefault(_rows, key, out _);
            _output.Clear();
            try
            {
                row = runner._projection.Apply(row, recorded, _output);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new ProjectionFailedException(runner._projection.Name, recorded, e);
            }

            foreach (var (table, entry) in _output.Entries)
            {
                _entries.Add((key.Tenant, keyText, table, entry));
            }
        }

        public override async Task FlushEntriesAsync(NpgsqlConnection connection, string schema, string suffix, CancellationToken cancellationToken)
        {
            if (_entries.Count > 0)
            {
                try
                {
                    await CopyEntriesAsync(connection, schema, suffix, _entries, cancellationToken);
                }
                catch (EntryWriteException failed)
                {
                    var (tenant, key, table, _) = _entries[failed.Index];
                    throw new ProjectionFailedException(runner._projection.Name, $"writing an entry of row '{tenant}/{key}' into {table.Name}", failed.InnerException!);
                }
                catch (PostgresException refused) when (ProjectionFailedException.IsRefusal(refused))
                {
                    throw new ProjectionFailedException(runner._projection.Name, "writing its entries", refused);
                }

                _entries.Clear();
            }
        }

        public override async Task WriteRowsAsync(NpgsqlConnection connection, string schema, string suffix, CancellationToken cancellationToken)
        {
            var columns = string.Join(", ", new[] { "tenant_id", "row_key", "row_data" }.Concat(runner._columns.Select(c => c.Name)));
            // Each row's JSON is written into one reused buffer, as UTF-8: no string per row, no transcoding.
            var buffer = new ArrayBufferWriter<byte>(4096);
            await using var writer = new Utf8JsonWriter(buffer);
            try
            {
                await using (var importer = await connection.BeginBinaryImportAsync(
                    $"COPY {runner.Table(schema, suffix)} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
                {
                    foreach (var ((tenant, key), row) in _rows)
                    {
                        if (row is null)
                        {
                            continue;
                        }

                        await importer.StartRowAsync(cancellationToken);
                        importer.Write(tenant, NpgsqlDbType.Text);
                        importer.Write(key, NpgsqlDbType.Text);
                        try
                        {
                            // Only into shadow tables this version made: json (a binary COPY must match the column's type).
                            buffer.ResetWrittenCount();
                            writer.Reset();
                            JsonSerializer.Serialize(writer, row, runner._json);
                            importer.Write(buffer.WrittenMemory, NpgsqlDbType.Json);
                            foreach (var column in runner._columns)
                            {
                                column.Write(importer, row);
                            }
                        }
                        catch (Exception e) when (ProjectionFailedException.IsProjectionCode(e))
                        {
                            // The fold kept no event per row (a whole log's worth); the row is named instead.
                            throw new ProjectionFailedException(runner._projection.Name, $"writing row '{tenant}/{key}' of table {runner._projection.TableName}", e);
                        }
                    }

                    await importer.CompleteAsync(cancellationToken);
                }
            }
            catch (PostgresException refused) when (ProjectionFailedException.IsRefusal(refused))
            {
                throw new ProjectionFailedException(runner._projection.Name, $"writing the rows of table {runner._projection.TableName}", refused);
            }

            _rows.Clear();
            await FlushEntriesAsync(connection, schema, suffix, cancellationToken);
        }
    }
}
