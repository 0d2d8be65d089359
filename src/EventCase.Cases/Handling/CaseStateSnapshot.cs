using System.Globalization;
using System.Text.Json;
using EventCase.Cases.Lifecycle;
using EventCase.Cases.Sla;
using EventCase.EventStore;
using NodaTime;

namespace EventCase.Cases.Handling;

/// <summary>
/// The stored form of an <see cref="OpenedCase"/> in a snapshot: every property, by name. A snapshot is a cache of the
/// fold, so it must be exactly what <see cref="CaseDecider.Evolve"/> would rebuild. Change <see cref="Kind"/> whenever
/// <see cref="OpenedCase"/> gains a property or Evolve changes what it computes: snapshots of the old kind are then no
/// longer read (cases fold from their events and are snapshotted again). A test fails when a property of
/// <see cref="OpenedCase"/> is missing here.
/// </summary>
internal sealed record CaseStateSnapshot(
    CaseStatus Status,
    CaseId Id,
    CaseNumber Number,
    AgencyId Agency,
    ServiceCode Service,
    Channel Channel,
    CasePriority Priority,
    SlaTarget Sla,
    Instant OpenedAt,
    Instant LastChangedAt,
    Assignment? Assignment,
    int EscalationLevel,
    CaseResolution? Resolution,
    int ReopenCount,
    int? Satisfaction,
    CaseId? DuplicateOf,
    IReadOnlyList<CaseId> Duplicates,
    AgencyId? TransferredTo,
    CaseId? Parent,
    IReadOnlyList<CaseId> Children)
{
    /// <summary>The snapshot kind: the fold and the shape of this record (v2: <see cref="OpenedCase.Duplicates"/>).</summary>
    public const string Kind = "case-state.v2";

    public static CaseStateSnapshot From(OpenedCase state) => new(
        state.Status, state.Id, state.Number, state.Agency, state.Service, state.Channel, state.Priority, state.Sla,
        state.OpenedAt, state.LastChangedAt, state.Assignment, state.EscalationLevel, state.Resolution, state.ReopenCount,
        state.Satisfaction, state.DuplicateOf, state.Duplicates, state.TransferredTo, state.Parent, state.Children);

    public OpenedCase ToState() => new()
    {
        Status = Status,
        Id = Id,
        Number = Number,
        Agency = Agency,
        Service = Service,
        Channel = Channel,
        Priority = Priority,
        Sla = Sla,
        OpenedAt = OpenedAt,
        LastChangedAt = LastChangedAt,
        Assignment = Assignment,
        EscalationLevel = EscalationLevel,
        Resolution = Resolution,
        ReopenCount = ReopenCount,
        Satisfaction = Satisfaction,
        DuplicateOf = DuplicateOf,
        Duplicates = Duplicates,
        TransferredTo = TransferredTo,
        Parent = Parent,
        Children = Children,
    };

    public static byte[] Serialize(OpenedCase state, JsonSerializerOptions options) => JsonSerializer.SerializeToUtf8Bytes(From(state), options);

    /// <summary>
    /// The state a snapshot of <paramref name="stream"/> at <paramref name="version"/> holds. Read with the store's
    /// <see cref="EventCase.EventStore.Serialization.EventSerializer.ReadingOptions"/>, a snapshot without a member the
    /// state requires is refused here rather than folded on as a null.
    /// </summary>
    /// <exception cref="JsonException">The snapshot does not read; the message names the stream and version.</exception>
    public static OpenedCase Deserialize(ReadOnlySpan<byte> utf8State, JsonSerializerOptions options, StreamName stream, long version)
    {
        try
        {
            return (JsonSerializer.Deserialize<CaseStateSnapshot>(utf8State, options) ?? throw new JsonException("The snapshot is null.")).ToState();
        }
        catch (JsonException unreadable)
        {
            throw new JsonException(
                string.Create(CultureInfo.InvariantCulture, $"The {Kind} snapshot of {stream} at version {version} cannot be read: {unreadable.Message}"),
                unreadable.Path, unreadable.LineNumber, unreadable.BytePositionInLine, unreadable);
        }
    }
}
