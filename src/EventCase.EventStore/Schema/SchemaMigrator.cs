using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace EventCase.EventStore.Schema;

/// <summary>
/// Creates and migrates a PostgreSQL schema from versioned scripts. Idempotent, and safe when several processes
/// start at the same moment: the whole run happens in one transaction under an advisory lock keyed by the schema
/// and the migration set, so a second process waits and then finds nothing left to do. DDL is transactional in
/// PostgreSQL, so a failing script leaves the schema as it was.
/// </summary>
public static partial class SchemaMigrator
{
    /// <summary>Applies the <paramref name="migrations"/> of <paramref name="migrationSet"/> not yet applied to <paramref name="schema"/>.</summary>
    /// <param name="dataSource">Where.</param>
    /// <param name="schema">The PostgreSQL schema (a lower-case identifier), created when missing.</param>
    /// <param name="migrationSet">Names the series (for example <c>eventstore</c>); each series has its own version numbers.</param>
    /// <param name="migrations">The scripts; <c>__schema__</c> is replaced by the schema name, and each key of
    /// <paramref name="replacements"/> by its value.</param>
    /// <param name="replacements">Other placeholders (values must be validated identifiers).</param>
    /// <param name="cancellationToken">Cancels the run (rolling everything back).</param>
    /// <returns>The versions applied by this call.</returns>
    public static async Task<IReadOnlyList<int>> MigrateAsync(
        NpgsqlDataSource dataSource,
        string schema,
        string migrationSet,
        IReadOnlyList<Migration> migrations,
        IReadOnlyDictionary<string, string>? replacements = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(migrations);
        ValidateIdentifier(schema, nameof(schema));
        ValidateIdentifier(migrationSet, nameof(migrationSet));

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var lockCommand = new NpgsqlCommand(
            "SELECT pg_advisory_xact_lock(hashtextextended('eventcase.migrations.' || $1 || '.' || $2, 0))",
            connection,
            transaction))
        {
            lockCommand.Parameters.AddWithValue(schema);
            lockCommand.Parameters.AddWithValue(migrationSet);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var setup = new NpgsqlCommand(
            $"""
             CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                 migration_set text        NOT NULL,
                 version       integer     NOT NULL,
                 name          text        NOT NULL,
                 checksum      text        NOT NULL,
                 applied_at    timestamptz NOT NULL DEFAULT now(),
                 PRIMARY KEY (migration_set, version)
             );
             """,
            connection,
            transaction))
        {
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        var applied = new Dictionary<int, string>();
        await using (var query = new NpgsqlCommand(
            $"SELECT version, checksum FROM {schema}.schema_migrations WHERE migration_set = $1", connection, transaction))
        {
            query.Parameters.AddWithValue(migrationSet);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                applied[reader.GetInt32(0)] = reader.GetString(1);
            }
        }

        var carried = migrations.Select(m => m.Version).DefaultIfEmpty(0).Max();
        if (applied.Keys.Where(v => v > carried).Order().ToList() is [var first, ..] newer)
        {
            // An older build started on a database a newer one upgraded (a rollback, or an old node restarted in the
            // middle of an upgrade). It served requests, writing rows in the shapes the newer build had rebuilt away
            // from, with nothing but /health/ready saying the schema was ahead: refused before anything is touched.
            throw new InvalidOperationException(
                $"Schema '{schema}' has migration {migrationSet} {first:D4}{(newer.Count > 1 ? FormattableString.Invariant($" (and {newer.Count - 1} more)") : "")}, " +
                $"which this build does not carry (it has up to {carried:D4}): a newer build migrated it, so this build would " +
                "write what the newer one no longer reads, and nothing was changed. Run the newer build; to go back to this " +
                "one, restore the backup taken before the upgrade.");
        }

        var newlyApplied = new List<int>();
        foreach (var migration in migrations.OrderBy(m => m.Version))
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (!migration.WasRecordedAs(checksum))
                {
                    // Met by an operator starting a build on a database another build made (a development build from
                    // before a script was final, or one with an edited script), so it says what to do, not only the rule.
                    throw new InvalidOperationException(
                        $"Schema '{schema}' was migrated with another text of migration {migrationSet} {migration.Version:D4}_{migration.Name} " +
                        $"than this build carries (recorded checksum {checksum}, this build's {migration.Checksum}), so this build cannot tell " +
                        "what the schema holds and nothing was changed. The database was made by a build whose script differed: run that " +
                        "build, or restore a backup made by a released build. A developer who edited an applied script puts it back and " +
                        "adds a new migration instead.");
                }

                continue;
            }

            var sql = migration.Sql.Replace("__schema__", schema, StringComparison.Ordinal);
            foreach (var (placeholder, value) in replacements ?? new Dictionary<string, string>())
            {
                ValidateIdentifier(value, placeholder);
                sql = sql.Replace(placeholder, value, StringComparison.Ordinal);
            }

            await using (var apply = new NpgsqlCommand(sql, connection, transaction))
            {
                await apply.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var record = new NpgsqlCommand(
                $"INSERT INTO {schema}.schema_migrations (migration_set, version, name, checksum) VALUES ($1, $2, $3, $4)",
                connection,
                transaction))
            {
                record.Parameters.AddWithValue(migrationSet);
                record.Parameters.AddWithValue(migration.Version);
                record.Parameters.AddWithValue(migration.Name);
                record.Parameters.AddWithValue(migration.Checksum);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            newlyApplied.Add(migration.Version);
        }

        await transaction.CommitAsync(cancellationToken);
        return newlyApplied;
    }

    /// <summary>The highest applied version of <paramref name="migrationSet"/> in <paramref name="schema"/>, or 0.</summary>
    public static async Task<int> GetAppliedVersionAsync(
        NpgsqlDataSource dataSource, string schema, string migrationSet, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ValidateIdentifier(schema, nameof(schema));
        // Asked first, on its own: a statement that names a missing table is refused when it is parsed, whichever
        // branch of it would have run (a CASE around the query failed with 42P01 on a schema never migrated).
        await using (var exists = dataSource.CreateCommand($"SELECT to_regclass('{schema}.schema_migrations') IS NOT NULL"))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return 0;
            }
        }

        await using var command = dataSource.CreateCommand($"SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations WHERE migration_set = $1");
        command.Parameters.AddWithValue(migrationSet);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return Convert.ToInt32(result, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Throws unless <paramref name="identifier"/> is a plain lower-case SQL identifier that is safe to splice into SQL
    /// unquoted: letters, digits and underscores, at most 63 characters, and not one of PostgreSQL's reserved key words
    /// (see <see cref="IsReservedKeyword"/>).
    /// </summary>
    /// <param name="identifier">The identifier.</param>
    /// <param name="what">What it names, for the message, e.g. <c>column name</c>.</param>
    /// <exception cref="ArgumentException">It is not such an identifier; the message names it and says why.</exception>
    public static void ValidateIdentifier(string identifier, string what)
    {
        if (string.IsNullOrEmpty(identifier) || identifier.Length > 63 || !IdentifierPattern().IsMatch(identifier))
        {
            throw new ArgumentException(
                $"{what} '{identifier}' must be a lower-case SQL identifier (letters, digits, '_'; at most 63 characters).", what);
        }

        if (ReservedKeywords.Contains(identifier))
        {
            // Caught here, it names the culprit; at MigrateAsync it would be PostgreSQL's bare "syntax error at or near".
            throw new ArgumentException(
                $"{what} '{identifier}' is a reserved SQL key word in PostgreSQL and cannot be used unquoted: choose another name, such as '{identifier}_value' or one that says what it holds.",
                what);
        }
    }

    /// <summary>
    /// True when <paramref name="identifier"/> is one of PostgreSQL's reserved key words (<c>order</c>, <c>group</c>,
    /// <c>user</c>, …: those its documentation lists as "reserved", which cannot name a table or a column unquoted).
    /// </summary>
    /// <param name="identifier">A lower-case identifier.</param>
    public static bool IsReservedKeyword(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return ReservedKeywords.Contains(identifier);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
