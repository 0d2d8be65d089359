using System.Text.Json;
using EventCase.Cases.Handling;
using EventCase.Cases.Opening;
using EventCase.EventStore;
using EventCase.EventStore.Projections;
using NodaTime;

namespace EventCase.Cases.Numbering;

/// <summary>One row of the case number lookup: the number a citizen quotes, and the case it names.</summary>
/// <param name="CaseId">The case (its stream id within the agency).</param>
/// <param name="Number">Its human-readable number.</param>
/// <param name="OpenedAt">When it was opened.</param>
public sealed record CaseNumberEntry(CaseId CaseId, CaseNumber Number, Instant OpenedAt);

/// <summary>
/// The case number → case lookup, as an inline projection of <see cref="CaseOpened"/>: written in the transaction
/// of the append that opens the case (so a number is findable as soon as the open returns), by every writer of case
/// events (the command handler, importers), and rebuildable from the log like every other read model. One row per
/// case stream, keyed by tenant (agency) and stream id, with the number as an indexed column.
/// Register it with the store: <c>new PostgresEventStore(dataSource, serializer, options, [new CaseNumberLookupProjection()])</c>.
/// </summary>
public sealed class CaseNumberLookupProjection : Projection<CaseNumberEntry>
{
    /// <summary>The projection's name and table: <c>case_numbers</c>.</summary>
    public const string ProjectionName = "case_numbers";

    /// <inheritdoc />
    public override string Name => ProjectionName;

    /// <inheritdoc />
    public override ProjectionMode Mode => ProjectionMode.Inline;

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes { get; } = [typeof(CaseOpened)];

    /// <inheritdoc />
    public override bool ReadsMetadata => false;

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<CaseNumberEntry>> Columns { get; } =
        [ProjectionColumn<CaseNumberEntry>.Text("case_number", r => r.Number.Value)];

    /// <inheritdoc />
    public override IReadOnlyList<string> Indexes { get; } = ["tenant_id, case_number"];

    /// <inheritdoc />
    public override CaseNumberEntry? Apply(CaseNumberEntry? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return recorded.Data is CaseOpened opened ? new CaseNumberEntry(opened.CaseId, opened.Number, opened.At) : row;
    }
}

/// <summary>
/// Finds the case a citizen's case number names, within one agency (numbers of other agencies are never visible).
/// Reads the table of <see cref="CaseNumberLookupProjection"/>, which the store must have registered. Thread safe.
/// </summary>
public sealed class CaseNumberLookup
{
    private readonly PostgresEventStore _store;
    private readonly string _sql;

    /// <summary>Creates the lookup over <paramref name="store"/>.</summary>
    /// <exception cref="InvalidOperationException">The store has no <see cref="CaseNumberLookupProjection"/>.</exception>
    public CaseNumberLookup(PostgresEventStore store)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        if (!store.Projections.All.OfType<CaseNumberLookupProjection>().Any())
        {
            throw new InvalidOperationException(
                "The event store has no CaseNumberLookupProjection: register it when creating the store, or case numbers cannot be looked up.");
        }

        _sql = $"SELECT row_data::text FROM {store.Options.Schema}.{CaseNumberLookupProjection.ProjectionName} WHERE tenant_id = $1 AND case_number = $2";
    }

    /// <summary>The case with <paramref name="number"/> in <paramref name="agency"/>, or null when there is none.</summary>
    public async Task<CaseNumberEntry?> FindAsync(AgencyId agency, CaseNumber number, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agency);
        ArgumentNullException.ThrowIfNull(number);
        await using var command = _store.DataSource.CreateCommand(_sql);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = agency.Value });
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = number.Value });
        var json = (string?)await command.ExecuteScalarAsync(cancellationToken);
        return json is null ? null : JsonSerializer.Deserialize<CaseNumberEntry>(json, _store.Serializer.Options);
    }

    /// <summary>The stream of the case with <paramref name="number"/> in <paramref name="agency"/>, or null.</summary>
    public async Task<StreamName?> FindStreamAsync(AgencyId agency, CaseNumber number, CancellationToken cancellationToken = default) =>
        await FindAsync(agency, number, cancellationToken) is { } entry ? CaseStreams.For(agency, entry.CaseId) : null;
}
