namespace EventCase.EventStore;

/// <summary>Base class of every error the event store raises on purpose. Each carries enough context to act on.</summary>
public abstract class EventStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected EventStoreException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// An append was rejected because the stream is not at the version the writer expected: someone else wrote first.
/// Detected before any global position is drawn, so a rejected append leaves no trace in the log.
/// </summary>
public sealed class WrongExpectedVersionException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    public WrongExpectedVersionException(string tenant, string streamId, ExpectedVersion expected, long actualVersion)
        : base($"Stream '{streamId}' of tenant '{tenant}' is at version {actualVersion}; the append expected {expected}.")
    {
        Tenant = tenant;
        StreamId = streamId;
        Expected = expected;
        ActualVersion = actualVersion;
    }

    /// <summary>The tenant (agency) of the stream.</summary>
    public string Tenant { get; }

    /// <summary>The stream id.</summary>
    public string StreamId { get; }

    /// <summary>What the writer expected.</summary>
    public ExpectedVersion Expected { get; }

    /// <summary>The version the stream actually has (0 when it does not exist).</summary>
    public long ActualVersion { get; }
}

/// <summary>An event type name or CLR type that is not registered (and cannot be upcast to a registered one).</summary>
public sealed class UnknownEventTypeException : EventStoreException
{
    private UnknownEventTypeException(string message, string? typeName, Type? clrType) : base(message)
    {
        TypeName = typeName;
        ClrType = clrType;
    }

    /// <summary>The stored name that could not be resolved, when reading.</summary>
    public string? TypeName { get; }

    /// <summary>The CLR type that has no name, when appending.</summary>
    public Type? ClrType { get; }

    internal static UnknownEventTypeException ForName(string name, long? position = null) => new(
        $"Event type '{name}'{(position is null ? "" : $" at log position {position}")} is not registered and has no upcaster to a registered type.",
        name,
        null);

    internal static UnknownEventTypeException ForClrType(Type type) => new(
        $"{type.FullName} is not a registered event type: register it (with an [EventType] name) before appending it.",
        null,
        type);
}

/// <summary>An event whose serialized data and metadata exceed the configured size limit. Nothing was written.</summary>
public sealed class EventTooLargeException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    public EventTooLargeException(string tenant, string streamId, string eventType, int sizeBytes, int limitBytes)
        : base($"Event '{eventType}' for stream '{streamId}' of tenant '{tenant}' is {sizeBytes} bytes; the limit is {limitBytes} bytes.")
    {
        Tenant = tenant;
        StreamId = streamId;
        EventType = eventType;
        SizeBytes = sizeBytes;
        LimitBytes = limitBytes;
    }

    /// <summary>The tenant of the stream.</summary>
    public string Tenant { get; }

    /// <summary>The stream id.</summary>
    public string StreamId { get; }

    /// <summary>The event type name.</summary>
    public string EventType { get; }

    /// <summary>The serialized size of data plus metadata, in UTF-8 bytes.</summary>
    public int SizeBytes { get; }

    /// <summary>The configured limit.</summary>
    public int LimitBytes { get; }
}

/// <summary>An argument the store cannot accept (an empty stream id, a malformed tenant, no events…). Nothing was written.</summary>
public sealed class InvalidEventStoreArgumentException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    public InvalidEventStoreArgumentException(string field, string message) : base($"{field}: {message}")
    {
        Field = field;
    }

    /// <summary>The name of the offending field.</summary>
    public string Field { get; }
}

/// <summary>
/// An append reused event ids that are already stored but not as exactly this append (in another stream, or only
/// some of them). A true retry of the same append is not an error: it returns the original result.
/// </summary>
public sealed class DuplicateEventIdException : EventStoreException
{
    /// <summary>Creates the exception.</summary>
    public DuplicateEventIdException(string tenant, string streamId, string detail)
        : base($"Append to stream '{streamId}' of tenant '{tenant}' reuses event ids already stored elsewhere: {detail}")
    {
        Tenant = tenant;
        StreamId = streamId;
    }

    /// <summary>The tenant of the stream.</summary>
    public string Tenant { get; }

    /// <summary>The stream id.</summary>
    public string StreamId { get; }
}
