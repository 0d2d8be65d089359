using EventCase.EventStore.Schema;
using Npgsql;

namespace EventCase.Cases.Schema;

/// <summary>
/// The case domain's own tables (so far: the case number counters), migrated from the numbered <c>.sql</c> scripts
/// embedded in this assembly, as their own migration set next to the event store's in the same schema.
/// </summary>
public static class CasesSchema
{
    /// <summary>The name of the case domain's migration series.</summary>
    public const string MigrationSet = "cases";

    /// <summary>The schema the tables go to unless told otherwise: the event store's default schema.</summary>
    public const string DefaultSchema = "eventcase";

    /// <summary>
    /// The tables the case domain's migrations create. They share the schema with the event store's projections, so a
    /// host gives them to the store (<c>EventStoreOptions.ReservedTableNames</c>) and a projection of its own that takes
    /// one of these names is refused when registered, instead of breaking this migration. A test checks the list
    /// against a migrated schema.
    /// </summary>
    public static IReadOnlyList<string> TableNames { get; } = ["case_number_sequences"];

    /// <summary>The case domain's migration scripts, in version order.</summary>
    public static IReadOnlyList<Migration> Migrations { get; } =
        Migration.FromEmbeddedResources(typeof(CasesSchema).Assembly, ".Schema.Migrations.");

    /// <summary>
    /// Creates or upgrades the case domain's tables in <paramref name="schema"/>. Idempotent and safe when several
    /// nodes start at once (see <see cref="SchemaMigrator"/>).
    /// </summary>
    /// <returns>The versions applied by this call.</returns>
    public static Task<IReadOnlyList<int>> MigrateAsync(
        NpgsqlDataSource dataSource, string schema = DefaultSchema, CancellationToken cancellationToken = default) =>
        SchemaMigrator.MigrateAsync(dataSource, schema, MigrationSet, Migrations, null, cancellationToken);
}
