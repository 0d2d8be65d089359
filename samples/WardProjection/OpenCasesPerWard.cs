using EventCase.Cases;
using EventCase.Cases.Cancelling;
using EventCase.Cases.Closing;
using EventCase.Cases.MarkingDuplicate;
using EventCase.Cases.Opening;
using EventCase.Cases.Reopening;
using EventCase.Cases.Resolving;
using EventCase.Cases.Routing;
using EventCase.Cases.Transferring;
using EventCase.EventStore;
using EventCase.EventStore.Projections;

namespace WardProjection;

/// <summary>One row per case: the council ward it lies in, and whether it is still open.</summary>
/// <param name="Ward">The ward's name, "outside" when the point is in no ward, "unknown" when the case has no point.</param>
/// <param name="Open">False once resolved, closed, cancelled, merged or transferred; true again when reopened.</param>
public sealed record WardCase(string Ward, bool Open);

/// <summary>
/// "Open cases per council ward": a read model the engine does not ship, written with the extension API. The class
/// says which events it handles, what its table looks like, and how each event changes a row; registering it with the
/// store gives it the daemon, checkpoints, rebuilds, status and the test helper.
/// </summary>
/// <param name="wards">The wards, as named polygons (or boxes). Configuration, passed in: the projection stays pure.</param>
public sealed class OpenCasesPerWard(IReadOnlyList<GeoArea> wards) : Projection<WardCase>
{
    /// <inheritdoc />
    public override string Name => "open_cases_by_ward";

    /// <inheritdoc />
    public override IReadOnlyCollection<Type> EventTypes =>
    [
        typeof(CaseOpened), typeof(CaseResolved), typeof(CaseReopened), typeof(CaseClosed),
        typeof(CaseCancelled), typeof(CaseMarkedDuplicate), typeof(CaseTransferred),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<ProjectionColumn<WardCase>> Columns =>
    [
        ProjectionColumn<WardCase>.Text("ward", row => row.Ward),
        ProjectionColumn<WardCase>.Bool("open", row => row.Open),
    ];

    /// <summary>The count query groups open cases of one agency by ward: this index serves it.</summary>
    public override IReadOnlyList<string> Indexes => ["tenant_id, ward, open"];

    /// <inheritdoc />
    public override WardCase? Apply(WardCase? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        return recorded.Data switch
        {
            CaseOpened opened => new WardCase(WardOf(opened.Location), Open: true),
            CaseReopened when row is not null => row with { Open = true },
            CaseResolved or CaseClosed or CaseCancelled or CaseMarkedDuplicate or CaseTransferred when row is not null => row with { Open = false },
            _ => row,
        };
    }

    private string WardOf(CaseLocation? location) =>
        location?.Point is { } point ? wards.FirstOrDefault(ward => ward.Contains(point))?.Name ?? "outside" : "unknown";
}

/// <summary>Reads the ward counts.</summary>
public sealed class OpenCasesPerWardQuery(PostgresEventStore store)
{
    /// <summary>Open cases per ward of <paramref name="agency"/>, most first.</summary>
    public async Task<IReadOnlyList<(string Ward, long Open)>> CountsAsync(string agency, CancellationToken cancellationToken = default)
    {
        await using var command = store.DataSource.CreateCommand(
            $"SELECT ward, count(*) FROM {store.Options.Schema}.open_cases_by_ward WHERE tenant_id = $1 AND open GROUP BY ward ORDER BY count(*) DESC, ward");
        command.Parameters.AddWithValue(agency);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new List<(string, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return counts;
    }
}
