namespace EventCase.EventStore.Auditing;

/// <summary>What kind of alteration broke a stream's chain. docs/audit.md explains how each is told apart and what
/// cannot be told apart.</summary>
public enum TamperKind
{
    /// <summary>An event's type, data, metadata, id or recorded-at changed (or its stored hash did): its hash no longer
    /// chains from the event before it. Also the verdict when the evidence fits no more specific kind.</summary>
    EditedEvent,

    /// <summary>An event is missing: a gap in the versions, the stream's last events gone (the stream row names a
    /// later version), or versions renumbered down over a removed event.</summary>
    DeletedEvent,

    /// <summary>An event not written by the store: a row beyond the stream's head, a row without a hash, a version
    /// below 1, or a row placed before existing events (whose versions were shifted up to make room).</summary>
    InsertedEvent,

    /// <summary>Two events exchanged their versions: each one's hash chains at the other's version. In an export checked
    /// offline, also a version that comes on a later line than it belongs (lines out of order).</summary>
    ReorderedEvents,

    /// <summary>The stream row disagrees with an intact chain: its head hash or version is not the last event's, or the
    /// stream row is missing.</summary>
    ChangedHead,
}

/// <summary>A stream whose chain is broken, and where it first breaks.</summary>
/// <param name="Stream">The stream.</param>
/// <param name="Version">The first version at which the chain is broken (for a deleted event, the missing version).</param>
/// <param name="Kind">The most likely alteration.</param>
/// <param name="Detail">A sentence for the auditor: what was found.</param>
public sealed record AuditFinding(StreamName Stream, long Version, TamperKind Kind, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"{Stream.Tenant}/{Stream.Id} v{Version}: {Kind}: {Detail}";
}
