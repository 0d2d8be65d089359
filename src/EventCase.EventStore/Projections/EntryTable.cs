using Npgsql;

namespace EventCase.EventStore.Projections;

/// <summary>An append-only table a projection fills with entries (for example one audit entry per change).</summary>
public abstract class EntryTable
{
    private protected EntryTable(string name) => Name = name;

    /// <summary>The table name (a lower-case identifier).</summary>
    public string Name { get; }

    internal abstract Type EntryType { get; }

    internal abstract IReadOnlyList<string> ColumnNames { get; }

    internal abstract IReadOnlyList<string> ColumnDefinitions { get; }

    internal abstract IReadOnlyList<string> IndexColumns { get; }

    internal abstract void Write(NpgsqlBinaryImporter importer, object entry);
}

/// <summary>An append-only table of <typeparamref name="TEntry"/> rows.</summary>
/// <typeparam name="TEntry">The entry type.</typeparam>
/// <param name="name">The table name.</param>
/// <param name="columns">Its columns (the table also gets <c>tenant_id</c> and <c>row_key</c> of the row that emitted the entry).</param>
/// <param name="indexes">Indexes, as column lists.</param>
public sealed class EntryTable<TEntry>(string name, IReadOnlyList<ProjectionColumn<TEntry>> columns, IReadOnlyList<string>? indexes = null)
    : EntryTable(name)
    where TEntry : class
{
    internal override Type EntryType => typeof(TEntry);

    internal override IReadOnlyList<string> ColumnNames => columns.Select(c => c.Name).ToArray();

    internal override IReadOnlyList<string> ColumnDefinitions => columns.Select(c => $"{c.Name} {c.SqlType}").ToArray();

    internal override IReadOnlyList<string> IndexColumns => indexes ?? [];

    internal override void Write(NpgsqlBinaryImporter importer, object entry)
    {
        foreach (var column in columns)
        {
            column.Write(importer, (TEntry)entry);
        }
    }
}
