namespace EventCase.EventStore;

/// <summary>A stream's folded state at a version, as stored by <see cref="PostgresEventStore.SaveSnapshotAsync"/>.</summary>
/// <param name="Kind">What fold and state shape it is (the writer's name for them).</param>
/// <param name="Version">The stream version it reflects: the fold of events 1 to <paramref name="Version"/>.</param>
/// <param name="Utf8State">The state, a JSON document in UTF-8.</param>
public sealed record StreamSnapshot(string Kind, long Version, byte[] Utf8State);

/// <summary>What <see cref="PostgresEventStore.ReadStreamFromSnapshotAsync"/> read.</summary>
/// <param name="Snapshot">The latest snapshot of the kind asked for; null when there is none.</param>
/// <param name="Events">The events after the snapshot (every event when there is none), oldest first.</param>
public sealed record SnapshotAndEvents(StreamSnapshot? Snapshot, IReadOnlyList<RecordedEvent> Events);

/// <summary>What <see cref="PostgresEventStore.ReadStreamDataFromSnapshotAsync"/> read.</summary>
/// <param name="Snapshot">The latest snapshot of the kind asked for; null when there is none.</param>
/// <param name="Events">The events after the snapshot (every event when there is none), oldest first.</param>
public sealed record SnapshotAndEventData(StreamSnapshot? Snapshot, IReadOnlyList<StreamEventData> Events);

/// <summary>An event as a fold needs it: no metadata, ids or hash.</summary>
/// <param name="Position">Global position (for error messages and diagnostics).</param>
/// <param name="StreamVersion">Its version within the stream.</param>
/// <param name="EventType">The stable type name after upcasting.</param>
/// <param name="Data">The deserialized event record.</param>
public sealed record StreamEventData(long Position, long StreamVersion, string EventType, object Data);
