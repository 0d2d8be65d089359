namespace EventCase.EventStore;

/// <summary>
/// A checkpoint in the global log: the (writing transaction id, position) pair of the last event read. The log is
/// read in that order, never by position alone: positions are drawn before commit, so a lower position can become
/// visible after a higher one. Ordering by transaction id, and only reading transactions older than every
/// transaction still running, is what guarantees no reader ever skips an event.
/// </summary>
/// <param name="TransactionId">The writing transaction's id (<c>xid8</c>).</param>
/// <param name="Position">The event's global position.</param>
public readonly record struct LogPosition(ulong TransactionId, long Position) : IComparable<LogPosition>
{
    /// <summary>Before the first event.</summary>
    public static LogPosition Start { get; } = new(0, 0);

    /// <inheritdoc />
    public int CompareTo(LogPosition other)
    {
        var byTransaction = TransactionId.CompareTo(other.TransactionId);
        return byTransaction != 0 ? byTransaction : Position.CompareTo(other.Position);
    }

    /// <summary>Orders checkpoints.</summary>
    public static bool operator <(LogPosition left, LogPosition right) => left.CompareTo(right) < 0;

    /// <summary>Orders checkpoints.</summary>
    public static bool operator >(LogPosition left, LogPosition right) => left.CompareTo(right) > 0;

    /// <summary>Orders checkpoints.</summary>
    public static bool operator <=(LogPosition left, LogPosition right) => left.CompareTo(right) <= 0;

    /// <summary>Orders checkpoints.</summary>
    public static bool operator >=(LogPosition left, LogPosition right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => $"{TransactionId}:{Position}";
}
