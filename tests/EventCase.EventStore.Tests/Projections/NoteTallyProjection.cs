using EventCase.EventStore.Projections;
using EventCase.EventStore.Tests.Support;

namespace EventCase.EventStore.Tests.Projections;

/// <summary>One row per thing: how many notes it has, and the log position of every note applied to it, so that an
/// event applied twice (or skipped) shows in the row.</summary>
public sealed record NoteTally(string ThingId, int Notes, IReadOnlyList<long> Positions, string? LastText, string? Title);

public sealed record NoteEntry(string Text, long Position, string Actor);

public sealed class NoteTallyProjection(ProjectionMode mode = ProjectionMode.Async, string name = "note_tally") : Projection<NoteTally>
{
    /// <summary>The projection throws on a note with this text (a bug in a projection, as in real life).</summary>
    public string? FailOnText { get; set; }

    /// <summary>How long <see cref="Apply"/> takes per event: a slow projection (a costly lookup in its configuration).</summary>
    public TimeSpan? DelayPerEvent { get; init; }

    public override string Name => name;

    public override ProjectionMode Mode => mode;

    public override IReadOnlyCollection<Type> EventTypes => [typeof(ThingOpened), typeof(NoteAdded)];

    public override IReadOnlyList<ProjectionColumn<NoteTally>> Columns =>
    [
        ProjectionColumn<NoteTally>.Text("thing_id", r => r.ThingId),
        ProjectionColumn<NoteTally>.Int("notes", r => r.Notes),
        ProjectionColumn<NoteTally>.Text("last_text", r => r.LastText),
        ProjectionColumn<NoteTally>.Text("title", r => r.Title),
    ];

    public override IReadOnlyList<string> Indexes => ["tenant_id, notes DESC", .. MoreIndexes];

    /// <summary>Indexes beyond the default one.</summary>
    public IReadOnlyList<string> MoreIndexes { get; init; } = [];

    /// <summary>What <see cref="CorrelatedColumns"/> declares (nothing by default).</summary>
    public IReadOnlyList<string> Correlated { get; init; } = [];

    public override IReadOnlyList<string> CorrelatedColumns => Correlated;

    /// <summary>Whether each note's entry records its actor (from the event's metadata).</summary>
    public bool RecordsActors { get; init; } = true;

    /// <summary>What <see cref="ReadsMetadata"/> declares: by default whether it records actors; a test may make it lie.</summary>
    public bool? DeclaresMetadata { get; init; }

    public override bool ReadsMetadata => DeclaresMetadata ?? RecordsActors;

    /// <summary>How many events reached <see cref="Apply"/> read with and without their metadata.</summary>
    public int EventsWithMetadata => _withMetadata;

    /// <inheritdoc cref="EventsWithMetadata"/>
    public int EventsWithoutMetadata => _withoutMetadata;

    private int _withMetadata;
    private int _withoutMetadata;

    /// <summary>Which row an event changes, when not the default (its stream id).</summary>
    public Func<RecordedEvent, string?>? KeyBy { get; init; }

    public override string? RowKey(RecordedEvent recorded) => KeyBy is null ? base.RowKey(recorded) : KeyBy(recorded);

    public override IReadOnlyList<EntryTable> EntryTables =>
    [
        new EntryTable<NoteEntry>(
            name + "_entries",
            [
                ProjectionColumn<NoteEntry>.Text("text", e => e.Text),
                ProjectionColumn<NoteEntry>.Long("position", e => e.Position),
                ProjectionColumn<NoteEntry>.Text("actor", e => e.Actor),
            ],
            ["tenant_id, row_key, position"]),
    ];

    public override NoteTally? Apply(NoteTally? row, RecordedEvent recorded, ProjectionOutput output)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(output);
        Interlocked.Increment(ref recorded.MetadataRead ? ref _withMetadata : ref _withoutMetadata);
        if (DelayPerEvent is { } delay)
        {
            Thread.Sleep(delay);
        }

        switch (recorded.Data)
        {
            case ThingOpened opened:
                return (row ?? new NoteTally(recorded.Stream.Id, 0, [], null, null)) with { Title = opened.Title };
            case NoteAdded note:
                if (FailOnText is not null && note.Text == FailOnText)
                {
                    throw new InvalidOperationException($"cannot tally '{note.Text}'");
                }

                output.Emit(new NoteEntry(note.Text, recorded.Position, RecordsActors ? recorded.Metadata.ActorId : "-"));
                var current = row ?? new NoteTally(recorded.Stream.Id, 0, [], null, null);
                return current with { Notes = current.Notes + 1, Positions = [.. current.Positions, recorded.Position], LastText = note.Text };
            default:
                return row;
        }
    }

    /// <summary>What the rows must be: the same fold, computed here from every event of the log.</summary>
    public static Dictionary<string, NoteTally> Expected(IEnumerable<RecordedEvent> log)
    {
        var rows = new Dictionary<string, NoteTally>(StringComparer.Ordinal);
        foreach (var e in log)
        {
            var key = e.Stream.Tenant + "/" + e.Stream.Id;
            rows.TryGetValue(key, out var row);
            var next = e.Data switch
            {
                ThingOpened o => (row ?? new NoteTally(e.Stream.Id, 0, [], null, null)) with { Title = o.Title },
                NoteAdded n => (row ?? new NoteTally(e.Stream.Id, 0, [], null, null)) is var r ? r with { Notes = r.Notes + 1, Positions = [.. r.Positions, e.Position], LastText = n.Text } : null,
                _ => row,
            };
            if (next is not null)
            {
                rows[key] = next;
            }
        }

        return rows;
    }
}
