namespace EventCase.EventStore;

/// <summary>A batch read from the global log.</summary>
/// <param name="Events">The events, in log order ((transaction id, position) ascending).</param>
/// <param name="Checkpoint">Where to continue from: the last row read (even one filtered out), or the request's
/// starting point when nothing was read.</param>
/// <param name="RowsRead">How many log rows the read covered, including rows a type filter left out; fewer than the
/// requested count means the reader has caught up with the visible log.</param>
public sealed record LogBatch(IReadOnlyList<RecordedEvent> Events, LogPosition Checkpoint, int RowsRead);
