namespace EventCase.EventStore;

/// <summary>One stream's part of a multi-stream append (<see cref="PostgresEventStore.AppendToStreamsAsync"/>).</summary>
/// <param name="Stream">The tenant and stream id.</param>
/// <param name="StreamType">The kind of stream, recorded when it is created.</param>
/// <param name="ExpectedVersion">What the writer believes the stream's version is.</param>
/// <param name="Events">One or more events.</param>
public sealed record StreamAppend(StreamName Stream, string StreamType, ExpectedVersion ExpectedVersion, IReadOnlyList<NewEvent> Events);
