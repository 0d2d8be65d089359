using EventCase.EventStore.Auditing;
using EventCase.EventStore.Metadata;
using EventCase.EventStore.Serialization;
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
/// <param name="Metadata">Who, on whose behalf, why. Events read from the store deserialize it on first use: most projections
/// never look at it, and reading it for each of a rebuild's million events was a tenth of the rebuild.</param>
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
    // Set when the event was built with its metadata, or once the stored document has been deserialized.
    private volatile EventMetadata? _metadata = Metadata;

    // The stored metadata document until it is deserialized (then released).
    private volatile LazyMetadata? _storedMetadata;

    /// <summary>Who, on whose behalf, why.</summary>
    /// <exception cref="System.Text.Json.JsonException">The stored metadata document does not deserialize (a row written
    /// outside the store, or tampered with); the message names the event.</exception>
    /// <exception cref="InvalidOperationException">The event was read without its metadata: for projections that
    /// declare they never read it (<see cref="Projections.Projection.ReadsMetadata"/>).</exception>
    public EventMetadata Metadata
    {
        get => _metadata ?? ResolveMetadata();
        init
        {
            _metadata = value;
            _storedMetadata = null;
        }
    }

    /// <summary>
    /// The event's audit hash: SHA-256 of the previous event's hash in the stream and this event's canonical bytes
    /// (<see cref="CanonicalEvent"/>). The design's "the event's metadata carries its hash" is realised as the event
    /// row's own <c>hash</c> column, outside the metadata document (docs/decisions/0001-hash-column.md). Null for the
    /// events an append hands to inline projections (the append does not read the hashes back).
    /// </summary>
    public AuditHash? Hash { get; init; }

    /// <summary>The event's place in the global log.</summary>
    public LogPosition LogPosition => new(TransactionId, Position);

    /// <summary>
    /// An event read from the store, its metadata left as the stored UTF-8 document until first asked for; with no
    /// document (null), it was read without its metadata, and asking for it throws.
    /// </summary>
    internal static RecordedEvent WithStoredMetadata(
        long position, ulong transactionId, StreamName stream, long streamVersion, Guid eventId, string eventType, string storedEventType, object data,
        byte[]? storedMetadata, EventSerializer serializer, Instant recordedAt, AuditHash? hash) =>
        new(position, transactionId, stream, streamVersion, eventId, eventType, storedEventType, data, null!, recordedAt)
        {
            Hash = hash,
            _storedMetadata = new LazyMetadata(storedMetadata, serializer),
        };

    /// <summary>Equal when every field is, the metadata compared by value whether or not it has been deserialized yet.</summary>
    public bool Equals(RecordedEvent? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Position == other.Position && TransactionId == other.TransactionId && Stream == other.Stream && StreamVersion == other.StreamVersion
                && EventId == other.EventId && EventType == other.EventType && StoredEventType == other.StoredEventType && Equals(Data, other.Data)
                && RecordedAt == other.RecordedAt && Hash == other.Hash && MetadataIfRead == other.MetadataIfRead
                && MetadataRead == other.MetadataRead));

    /// <summary>False for an event read without its metadata (for projections that never read it).</summary>
    internal bool MetadataRead => _storedMetadata is not { Utf8Json: null };

    private EventMetadata? MetadataIfRead => MetadataRead ? Metadata : null;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Position, TransactionId, Stream, StreamVersion, EventId, EventType, Data, RecordedAt);

    /// <summary>
    /// The members <see cref="object.ToString"/> shows, as a record shows them, except that a stored metadata document
    /// that does not deserialize is shown as such instead of failing the call: logging an event must not throw.
    /// </summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        builder.Append(culture, $"Position = {Position}, TransactionId = {TransactionId}, Stream = {Stream}, StreamVersion = {StreamVersion}, ");
        builder.Append(culture, $"EventId = {EventId}, EventType = {EventType}, StoredEventType = {StoredEventType}, Data = {Data}, Metadata = ");
        try
        {
            builder.Append(MetadataRead ? Metadata : "(not read)");
        }
        catch (System.Text.Json.JsonException unreadable)
        {
            builder.Append(culture, $"(unreadable: {unreadable.Message})");
        }

        builder.Append(culture, $", RecordedAt = {RecordedAt}, Hash = {Hash}, LogPosition = {LogPosition}");
        return true;
    }

    private EventMetadata ResolveMetadata()
    {
        // Several readers may get here at once (a rebuild folds one event into several projections side by side): each
        // deserializes, all get equal values, the last write wins. _metadata is written before the document is
        // released, so a reader that finds neither reads _metadata again and finds it.
        var stored = _storedMetadata;
        if (stored is null)
        {
            return _metadata!;
        }

        if (stored.Utf8Json is null)
        {
            throw new InvalidOperationException(
                $"Event {Position} of stream {Stream} was read without its metadata, for projections that declare they never read it " +
                "(Projection.ReadsMetadata is false). A projection that reads RecordedEvent.Metadata must not declare that.");
        }

        EventMetadata metadata;
        try
        {
            metadata = stored.Serializer.DeserializeMetadata(stored.Utf8Json);
        }
        catch (System.Text.Json.JsonException unreadable)
        {
            throw new System.Text.Json.JsonException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"The metadata of event '{StoredEventType}' at log position {Position} ({Stream} version {StreamVersion}) cannot be read: {unreadable.Message}"),
                unreadable.Path, unreadable.LineNumber, unreadable.BytePositionInLine, unreadable);
        }

        _metadata = metadata;
        _storedMetadata = null;
        return metadata;
    }

    // Utf8Json null: read without its metadata (this stays, it is never resolved).
    private sealed record LazyMetadata(byte[]? Utf8Json, EventSerializer Serializer);
}
