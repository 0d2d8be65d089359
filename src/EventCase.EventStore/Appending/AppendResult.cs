namespace EventCase.EventStore;

/// <summary>The outcome of a successful append.</summary>
/// <param name="Stream">The stream appended to.</param>
/// <param name="NextExpectedVersion">The stream's version after the append (pass it as the next expected version).</param>
/// <param name="Positions">The global log position of each appended event, in order.</param>
/// <param name="AlreadyAppended">True when this was a retry of an append already stored: nothing new was written.</param>
public sealed record AppendResult(StreamName Stream, long NextExpectedVersion, IReadOnlyList<long> Positions, bool AlreadyAppended);
