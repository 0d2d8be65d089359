using NodaTime;

namespace EventCase.EventStore;

/// <summary>The stream row: what the store knows about a stream without reading its events.</summary>
/// <param name="Stream">The stream.</param>
/// <param name="StreamType">The kind of stream, given by its first append (for example <c>case</c>).</param>
/// <param name="Version">The number of events in it.</param>
/// <param name="CreatedAt">When its first event was recorded.</param>
/// <param name="UpdatedAt">When its last event was recorded.</param>
/// <param name="Archived">Whether it is archived.</param>
/// <param name="HeadHash">The audit hash of its last event, when hashing is on.</param>
public sealed record StreamInfo(
    StreamName Stream,
    string StreamType,
    long Version,
    Instant CreatedAt,
    Instant UpdatedAt,
    bool Archived,
    byte[]? HeadHash);
