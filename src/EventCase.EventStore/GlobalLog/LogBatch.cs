namespace EventCase.EventStore;

/// <summary>A batch read from the global log.</summary>
/// <param name="Events">The events, in log order ((transaction id, position) ascending).</param>
/// <param name="Checkpoint">Where to continue from: the last event's <see cref="LogPosition"/>, or the request's
/// starting point when the batch is empty.</param>
public sealed record LogBatch(IReadOnlyList<RecordedEvent> Events, LogPosition Checkpoint);
