using System.Globalization;

namespace EventCase.EventStore;

/// <summary>
/// What a writer believes about a stream before appending: optimistic concurrency. Versions count events:
/// a stream with one event is at version 1; a stream that does not exist is at version 0.
/// </summary>
public readonly record struct ExpectedVersion
{
    private ExpectedVersion(long value) => Value = value;

    /// <summary>The wire value: -1 any, -2 the stream must exist, 0 the stream must not exist, n &gt; 0 exactly n.</summary>
    public long Value { get; }

    /// <summary>Append whatever the stream's version (no concurrency check).</summary>
    public static ExpectedVersion Any { get; } = new(-1);

    /// <summary>The stream must not exist yet.</summary>
    public static ExpectedVersion NoStream { get; } = new(0);

    /// <summary>The stream must exist, at any version.</summary>
    public static ExpectedVersion StreamExists { get; } = new(-2);

    /// <summary>The stream must be at exactly <paramref name="version"/> (0 means it must not exist).</summary>
    public static ExpectedVersion Exactly(long version) => version >= 0
        ? new ExpectedVersion(version)
        : throw new InvalidEventStoreArgumentException("expectedVersion", $"must be 0 or more, was {version}.");

    /// <inheritdoc />
    public override string ToString() => Value switch
    {
        -1 => "any version",
        -2 => "an existing stream",
        0 => "no stream",
        _ => "version " + Value.ToString(CultureInfo.InvariantCulture),
    };
}
