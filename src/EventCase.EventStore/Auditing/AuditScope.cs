namespace EventCase.EventStore.Auditing;

/// <summary>
/// What a verification of the hash chain covers: every stream of the store, every stream of one tenant, or one stream.
/// Its text (<see cref="ToString"/>) is <see cref="AuditReport.Scope"/>: <c>store</c>, <c>tenant T</c>, <c>stream T/S</c>.
/// Immutable; thread safe.
/// </summary>
public sealed record AuditScope
{
    private AuditScope(string? tenant, string? streamId)
    {
        Tenant = tenant;
        StreamId = streamId;
    }

    /// <summary>Every stream of every tenant.</summary>
    public static AuditScope Store { get; } = new(null, null);

    /// <summary>The tenant, or null for the whole store.</summary>
    public string? Tenant { get; }

    /// <summary>The stream's id within <see cref="Tenant"/>, or null for every stream of the tenant (or store).</summary>
    public string? StreamId { get; }

    /// <summary>Every stream of <paramref name="tenant"/>.</summary>
    /// <exception cref="InvalidEventStoreArgumentException">The tenant id is not valid.</exception>
    public static AuditScope OfTenant(string tenant)
    {
        StreamName.ValidateTenant(tenant);
        return new(tenant, null);
    }

    /// <summary>One stream.</summary>
    /// <exception cref="InvalidEventStoreArgumentException">The stream name is not valid.</exception>
    public static AuditScope OfStream(StreamName stream)
    {
        stream.Validate();
        return new(stream.Tenant, stream.Id);
    }

    /// <summary>True when every stream of <paramref name="other"/> is in this scope.</summary>
    public bool Covers(AuditScope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Tenant is null
            || (string.Equals(Tenant, other.Tenant, StringComparison.Ordinal) && (StreamId is null || string.Equals(StreamId, other.StreamId, StringComparison.Ordinal)));
    }

    /// <summary>True when the stream <paramref name="streamId"/> of <paramref name="tenant"/> is in this scope.</summary>
    internal bool Covers(string tenant, string streamId) =>
        Tenant is null
        || (string.Equals(Tenant, tenant, StringComparison.Ordinal) && (StreamId is null || string.Equals(StreamId, streamId, StringComparison.Ordinal)));

    /// <summary><c>store</c>, <c>tenant T</c> or <c>stream T/S</c>.</summary>
    public override string ToString() =>
        Tenant is null ? "store" : StreamId is null ? $"tenant {Tenant}" : $"stream {Tenant}/{StreamId}";
}
