using NodaTime;

namespace EventCase.EventStore;

/// <summary>Which way a stream is read.</summary>
public enum ReadDirection
{
    /// <summary>Oldest first.</summary>
    Forward,

    /// <summary>Newest first.</summary>
    Backward,
}

/// <summary>
/// Which slice of a stream to read. Bounds are inclusive and combine: versions between <see cref="FromVersion"/> and
/// <see cref="ToVersion"/>, recorded at or before <see cref="UpTo"/>, at most <see cref="MaxCount"/> of them, in
/// <see cref="Direction"/> order.
/// </summary>
public sealed record ReadStreamOptions
{
    /// <summary>The whole stream, oldest first.</summary>
    public static ReadStreamOptions All { get; } = new();

    /// <summary>Oldest first or newest first.</summary>
    public ReadDirection Direction { get; init; } = ReadDirection.Forward;

    /// <summary>The lowest version to include (default 1).</summary>
    public long FromVersion { get; init; } = 1;

    /// <summary>The highest version to include (default: the head). Time travel by version.</summary>
    public long ToVersion { get; init; } = long.MaxValue;

    /// <summary>
    /// Time travel by instant: the longest prefix of the stream whose events were all recorded at or before this instant
    /// (an event recorded later ends it, even if a clock stepped back lets one after it carry an earlier recorded-at), or
    /// null for all.
    /// </summary>
    public Instant? UpTo { get; init; }

    /// <summary>The most events to return (default: all).</summary>
    public int MaxCount { get; init; } = int.MaxValue;

    /// <summary>The stream as it was at <paramref name="version"/>.</summary>
    public static ReadStreamOptions AtVersion(long version) => new() { ToVersion = version };

    /// <summary>The stream as it was at <paramref name="instant"/>.</summary>
    public static ReadStreamOptions AsOf(Instant instant) => new() { UpTo = instant };

    internal void Validate()
    {
        if (FromVersion < 1)
        {
            throw new InvalidEventStoreArgumentException(nameof(FromVersion), $"must be 1 or more, was {FromVersion}.");
        }

        if (ToVersion < 0)
        {
            throw new InvalidEventStoreArgumentException(nameof(ToVersion), $"must be 0 or more, was {ToVersion}.");
        }

        if (MaxCount < 0)
        {
            throw new InvalidEventStoreArgumentException(nameof(MaxCount), $"must be 0 or more, was {MaxCount}.");
        }
    }
}
