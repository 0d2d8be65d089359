using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EventCase.EventStore.Auditing;

/// <summary>
/// A SHA-256 value of the audit chain: an event's hash, a stream's head hash, a Merkle root. Compares by value;
/// written as 64 lower-case hex digits. Immutable and thread safe.
/// </summary>
public readonly struct AuditHash : IEquatable<AuditHash>
{
    /// <summary>The length of a hash in bytes.</summary>
    public const int Length = 32;

    // Four big-endian words: value equality and ordering without an array per hash.
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private AuditHash(ReadOnlySpan<byte> bytes)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>32 zero bytes: what the first event of every stream chains from.</summary>
    public static AuditHash Zero => default;

    /// <summary>The hash held in <paramref name="bytes"/> (exactly 32 of them).</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public static AuditHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An audit hash is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new AuditHash(bytes);
    }

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static AuditHash Compute(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Length];
        SHA256.HashData(data, hash);
        return new AuditHash(hash);
    }

    /// <summary>Parses 64 hex digits (either case).</summary>
    /// <exception cref="FormatException">Not 64 hex digits.</exception>
    public static AuditHash Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParse(hex, out var hash) ? hash : throw new FormatException($"'{hex}' is not an audit hash (64 hex digits).");
    }

    /// <summary>Parses 64 hex digits (either case); false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out AuditHash hash)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (hex.Length != Length * 2 || Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            hash = default;
            return false;
        }

        hash = new AuditHash(bytes);
        return true;
    }

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes, in a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>64 lower-case hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc />
    public bool Equals(AuditHash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is AuditHash other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <summary>Value equality.</summary>
    public static bool operator ==(AuditHash left, AuditHash right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(AuditHash left, AuditHash right) => !left.Equals(right);
}
