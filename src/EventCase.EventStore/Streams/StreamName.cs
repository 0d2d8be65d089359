using System.Buffers;

namespace EventCase.EventStore;

/// <summary>
/// Identifies a stream: the tenant (agency) it belongs to and its id within that tenant. The same id in two tenants
/// names two different streams.
/// </summary>
/// <param name="Tenant">The tenant (agency) id: 1–64 characters of letters, digits, '-', '_' or '.'.</param>
/// <param name="Id">The stream id within the tenant: 1–200 characters, no control characters.</param>
public readonly record struct StreamName(string Tenant, string Id)
{
    /// <summary>Longest accepted tenant id.</summary>
    public const int MaxTenantLength = 64;

    /// <summary>Longest accepted stream id.</summary>
    public const int MaxIdLength = 200;

    private static readonly SearchValues<char> TenantChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    /// <summary>Throws <see cref="InvalidEventStoreArgumentException"/> unless tenant and id are acceptable.</summary>
    public void Validate()
    {
        ValidateTenant(Tenant);
        if (string.IsNullOrWhiteSpace(Id))
        {
            throw new InvalidEventStoreArgumentException("streamId", "must not be empty.");
        }

        if (Id.Length > MaxIdLength)
        {
            throw new InvalidEventStoreArgumentException("streamId", $"is {Id.Length} characters; at most {MaxIdLength} are allowed.");
        }

        if (Id.AsSpan().ContainsAnyInRange('\0', '\x1f') || Id.Contains('\x7f', StringComparison.Ordinal))
        {
            throw new InvalidEventStoreArgumentException("streamId", "must not contain control characters.");
        }
    }

    /// <summary>Throws <see cref="InvalidEventStoreArgumentException"/> unless <paramref name="tenant"/> is acceptable.</summary>
    public static void ValidateTenant(string? tenant)
    {
        if (string.IsNullOrWhiteSpace(tenant))
        {
            throw new InvalidEventStoreArgumentException("tenant", "must not be empty.");
        }

        if (tenant.Length > MaxTenantLength)
        {
            throw new InvalidEventStoreArgumentException("tenant", $"is {tenant.Length} characters; at most {MaxTenantLength} are allowed.");
        }

        if (tenant.AsSpan().ContainsAnyExcept(TenantChars))
        {
            throw new InvalidEventStoreArgumentException("tenant", "may only contain letters, digits, '-', '_' and '.'.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Tenant}/{Id}";
}
