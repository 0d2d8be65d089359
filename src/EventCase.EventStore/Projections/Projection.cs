using EventCase.EventStore.Schema;
using EventCase.EventStore.Serialization;

namespace EventCase.EventStore.Projections;

/// <summary>
/// A read model built from the log. Derive from <see cref="Projection{TRow}"/>; this non-generic base is what the
/// daemon, the rebuilder, the status reader and the inline applier work with.
/// </summary>
public abstract class Projection
{
    /// <summary>A unique name, a lower-case identifier such as <c>case_summary</c>. Also the default table name.</summary>
    public abstract string Name { get; }

    /// <summary>Bump it when the projection's logic or tables change: a projection whose stored version is older is rebuilt.</summary>
    public virtual int Version => 1;

    /// <summary>Inline (in the append transaction) or async (by the daemon). Default async.</summary>
    public virtual ProjectionMode Mode => ProjectionMode.Async;

    /// <summary>The event records this projection handles; other events are skipped without being deserialized.</summary>
    public abstract IReadOnlyCollection<Type> EventTypes { get; }

    /// <summary>The tables the projection owns: its row table first, then any entry tables.</summary>
    public abstract IReadOnlyList<string> TableNames { get; }

    /// <summary>
    /// Whether the projection reads <see cref="RecordedEvent.Metadata"/>. Default true. Declare false when it never
    /// does: the daemon and rebuilds then read the log for it without the metadata column, which saves the server
    /// rendering and sending a document per event (a rebuild of several projections leaves it out only when none of
    /// them reads it). Reading the metadata of an event read that way throws, so a wrong declaration fails loudly,
    /// never silently. Inline projections still get the metadata of the events an append hands them.
    /// </summary>
    public virtual bool ReadsMetadata => true;

    internal abstract ProjectionRunner CreateRunner(EventSerializer serializer);

    /// <summary>
    /// Every relation the store's own migrations create in its schema (tables, their indexes and the log's position
    /// sequence): a projection table of one of these names would fail the migration, or the projection's first rebuild,
    /// with an error that names neither. A test checks this against a migrated schema.
    /// </summary>
    internal static readonly IReadOnlySet<string> StoreRelations = new HashSet<string>(StringComparer.Ordinal)
    {
        "events", "events_pkey", "events_event_id_key", "events_stream_version_key", "events_type_log_order_idx", "events_position_seq",
        "streams", "streams_pkey",
        "projections", "projections_pkey",
        "snapshots", "snapshots_pkey",
        "schema_migrations", "schema_migrations_pkey",
    };

    /// <summary>
    /// Endings of the names PostgreSQL gives the indexes and sequences it names itself (a table's primary key, an
    /// unnamed index, an identity column's sequence), the store's and the projections' own alike: a table so named could
    /// take a name another table's index needs, or find it taken.
    /// </summary>
    private static readonly string[] GeneratedNameEndings = ["_pkey", "_idx", "_seq"];

    /// <summary>Suffixes a rebuild gives a projection's tables while it builds and swaps them.</summary>
    private static readonly string[] RebuildSuffixes = ["__rebuild", "__old"];

    /// <param name="reservedByOthers">Tables something beside the store creates in its schema (<see cref="EventStoreOptions.ReservedTableNames"/>).</param>
    internal void Validate(IReadOnlySet<string> reservedByOthers)
    {
        SchemaMigrator.ValidateIdentifier(Name, "projection name");
        foreach (var table in TableNames)
        {
            SchemaMigrator.ValidateIdentifier(table, "projection table name");
            if (table.Length > 50)
            {
                throw new ArgumentException($"Projection table name '{table}' is longer than 50 characters (rebuilds add a suffix).");
            }

            if (StoreRelations.Contains(table))
            {
                throw new ArgumentException($"Projection table name '{table}' is reserved by the event store, which has a table or index of that name in its schema; choose another.");
            }

            if (reservedByOthers.Contains(table))
            {
                throw new ArgumentException(
                    $"Projection table name '{table}' is reserved: another part of the application creates a table of that name in the store's schema (EventStoreOptions.ReservedTableNames); choose another.");
            }

            if (RebuildSuffixes.FirstOrDefault(suffix => table.EndsWith(suffix, StringComparison.Ordinal)) is { } rebuildSuffix)
            {
                throw new ArgumentException($"Projection table name '{table}' is reserved by the event store: rebuilds name their tables with the suffix '{rebuildSuffix}'.");
            }

            if (GeneratedNameEndings.FirstOrDefault(ending => table.EndsWith(ending, StringComparison.Ordinal)) is { } ending)
            {
                throw new ArgumentException($"Projection table name '{table}' is reserved: PostgreSQL names indexes and sequences with the ending '{ending}', and a table so named could clash with one of them.");
            }
        }

        if (EventTypes.Count == 0)
        {
            throw new ArgumentException($"Projection '{Name}' handles no event types.");
        }
    }
}

/// <summary>
/// A projection that keeps one row per key (by default one per stream) and folds each event into it with the pure
/// <see cref="Apply"/>. The runner does all I/O: it loads the rows a batch touches, applies the events in memory,
/// and writes the changed rows and the checkpoint in one transaction; a rebuild folds the whole log in memory and
/// writes the rows with binary COPY. Rows are stored as typed <see cref="Columns"/> (for queries and indexes) plus
/// the row itself as a json document (to load it back).
/// </summary>
/// <typeparam name="TRow">An immutable record: the row. Serialized with the store's JSON options.</typeparam>
/// <example>
/// <code>
/// public sealed class OpenCasesPerWard : Projection&lt;WardRow&gt;
/// {
///     public override string Name =&gt; "open_cases_by_ward";
///     public override IReadOnlyCollection&lt;Type&gt; EventTypes =&gt; [typeof(CaseOpened), typeof(CaseClosed)];
///     public override IReadOnlyList&lt;ProjectionColumn&lt;WardRow&gt;&gt; Columns =&gt;
///         [ProjectionColumn&lt;WardRow&gt;.Text("ward", r =&gt; r.Ward), ProjectionColumn&lt;WardRow&gt;.Bool("open", r =&gt; r.Open)];
///     public override WardRow? Apply(WardRow? row, RecordedEvent e, ProjectionOutput output) =&gt; e.Data switch
///     {
///         CaseOpened o =&gt; new WardRow(o.Ward, Open: true),
///         CaseClosed when row is not null =&gt; row with { Open = false },
///         _ =&gt; row,
///     };
/// }
/// </code>
/// </example>
public abstract class Projection<TRow> : Projection
    where TRow : class
{
    /// <summary>The row table's name. Default: <see cref="Projection.Name"/>.</summary>
    public virtual string TableName => Name;

    /// <summary>The typed columns of the row table (besides <c>tenant_id</c>, <c>row_key</c> and <c>row_data</c>).</summary>
    public abstract IReadOnlyList<ProjectionColumn<TRow>> Columns { get; }

    /// <summary>
    /// Extra indexes on the row table, as column lists, e.g. <c>"tenant_id, team, priority DESC"</c>. Created after a
    /// rebuild's bulk load, which is faster than maintaining them row by row.
    /// </summary>
    public virtual IReadOnlyList<string> Indexes => [];

    /// <summary>
    /// Groups of row-table columns whose values go together, as column lists, e.g. <c>"tenant_id, assignee"</c> (an
    /// agent works for one agency). PostgreSQL estimates a filter on several columns as if they were independent, and
    /// for correlated columns that underestimates the rows so far that it may pick a scan and a sort over the ordered
    /// index; the store keeps functional-dependency statistics (<c>CREATE STATISTICS … (dependencies)</c>) on each
    /// group so the planner knows better. Each group names at least two columns: <c>tenant_id</c>, <c>row_key</c> or
    /// the projection's <see cref="Columns"/>.
    /// </summary>
    public virtual IReadOnlyList<string> CorrelatedColumns => [];

    /// <summary>Append-only tables the projection writes through <see cref="ProjectionOutput.Emit{TEntry}"/>.</summary>
    public virtual IReadOnlyList<EntryTable> EntryTables => [];

    /// <inheritdoc />
    /// <remarks>A null entry table is left out here, so that validation reaches the runner's check, which names it.</remarks>
    public sealed override IReadOnlyList<string> TableNames => [TableName, .. EntryTables.Where(t => t is not null).Select(t => t.Name)];

    /// <summary>
    /// Which row (within the event's tenant) an event changes: by default the event's stream id, so one row per
    /// stream. Return null to ignore the event. Inline projections must keep one row per stream (the stream id, or
    /// null): the stream lock is what keeps two appends from changing one row at once, so any other key fails the
    /// append with a <see cref="ProjectionFailedException"/>. A projection that keeps this default has a row only for
    /// streams it has seen, so no row is looked up for a stream's first event; one that overrides it is looked up
    /// for every event, whatever the override returns.
    /// </summary>
    public virtual string? RowKey(RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return recorded.Stream.Id;
    }

    /// <summary>
    /// Folds one event into the row. Pure: no I/O, no clock. Return the new row, the same row when nothing changes,
    /// or null to delete it. Emit entries for append-only tables through <paramref name="output"/>.
    /// </summary>
    /// <param name="row">The current row, or null when there is none yet.</param>
    /// <param name="recorded">The event, with its stream, version, metadata and instant.</param>
    /// <param name="output">Where to emit entry rows.</param>
    public abstract TRow? Apply(TRow? row, RecordedEvent recorded, ProjectionOutput output);

    internal override ProjectionRunner CreateRunner(EventSerializer serializer) => new RowProjectionRunner<TRow>(this, serializer);
}

/// <summary>Receives the entries a projection emits while applying one event.</summary>
public sealed class ProjectionOutput
{
    private readonly Dictionary<Type, EntryTable> _tablesByEntryType;
    private readonly List<(EntryTable Table, object Entry)> _entries = [];

    internal ProjectionOutput(IReadOnlyList<EntryTable> tables)
    {
        _tablesByEntryType = tables.ToDictionary(t => t.EntryType);
    }

    /// <summary>Adds a row to the entry table whose entry type is <typeparamref name="TEntry"/>.</summary>
    public void Emit<TEntry>(TEntry entry)
        where TEntry : class
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!_tablesByEntryType.TryGetValue(typeof(TEntry), out var table))
        {
            throw new InvalidOperationException($"No entry table of the projection takes {typeof(TEntry).Name}.");
        }

        _entries.Add((table, entry));
    }

    internal IReadOnlyList<(EntryTable Table, object Entry)> Entries => _entries;

    internal void Clear() => _entries.Clear();
}
