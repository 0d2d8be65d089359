using EventCase.EventStore.Auditing;
using EventCase.EventStore.Metadata;
using NodaTime;

namespace EventCase.EventStore;

/// <summary>An event as stored in the log.</summary>
/// <param name="Position">Global position (drawn from a sequence: unique and increasing in draw order, not in commit order).</param>
/// <param name="TransactionId">The id of the transaction that wrote it; the global log is ordered by (transaction id, position).</param>
/// <param name="Stream">The stream it belongs to.</param>
/// <param name="StreamVersion">Its version within the stream, starting at 1.</param>
/// <param name="EventId">The writer-chosen id.</param>
/// <param name="EventType">The stable type name after upcasting (the stored name is <paramref name="StoredEventType"/>).</param>
/// <param name="StoredEventType">The type name as stored.</param>
/// <param name="Data">The deserialized event record.</param>
/// <param name="Metadata">Who, on whose behalf, why.</param>
/// <param name="RecordedAt">When the store recorded it (database clock, taken after the stream lock: non-decreasing within a stream).</param>
public sealed record RecordedEvent(
    long Position,
    ulong TransactionId,
    StreamName Stream,
    long StreamVersion,
    Guid EventId,
    string EventType,
    string StoredEventType,
    object Data,
    EventMetadata Metadata,
    Instant RecordedAt)
{
    /// <summary>
    /// The event's audit hash: SHA-256 of the previous event's hash in the stream and this event's canonical bytes
    /// (<see cref="CanonicalEvent"/>). The design's "the event's metadata carries its hash" is realised as the event
    /// row's own <c>hash</c> column, outside the metadata document (docs/decisions/0001-hash-column.md). Null for the
    /// events an append hands to inline projections (the append does not read the hashes back).
    /// </summary>
    public AuditHash? Hash { get; init; }

    /// <summary>The event's place in the global log.</summary>
    public LogPosition LogPosition => new(TransactionId, Position);
}
