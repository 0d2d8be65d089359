using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EventCase.EventStore;

namespace EventCase.Cases.Handling;

/// <summary>
/// Event ids for case commands. With an idempotency key the ids are derived from (tenant, stream, key, index), so
/// the same command sent twice produces the same ids and the store recognises the second append as a retry; without
/// a key they are fresh time-ordered UUIDv7s. Pure and thread safe.
/// </summary>
public static class CaseEventIds
{
    /// <summary>
    /// The id of the <paramref name="index"/>-th event appended to <paramref name="stream"/> by the command sent with
    /// <paramref name="idempotencyKey"/>: a name-based UUID (RFC 9562 version 8, from SHA-256 of the length-prefixed
    /// parts), the same on every machine and every run.
    /// </summary>
    public static Guid ForIdempotencyKey(StreamName stream, string idempotencyKey, int index)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return NameBased("eventcase.case-command.v1", [stream.Tenant, stream.Id, idempotencyKey], index);
    }

    /// <summary>
    /// The id of the <paramref name="index"/>-th event appended to <paramref name="stream"/>, the other case of a
    /// two-sided command sent to <paramref name="sentStream"/> with <paramref name="idempotencyKey"/> (the original of a
    /// merged duplicate). Derived from both streams and the key, apart from <see cref="ForIdempotencyKey"/>'s ids: the
    /// same key sent to another case, or to this one, is another request, whose ids these must not be.
    /// </summary>
    internal static Guid ForCounterpart(StreamName stream, StreamName sentStream, string idempotencyKey, int index)
    {
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return NameBased("eventcase.case-command-counterpart.v1", [stream.Tenant, stream.Id, sentStream.Tenant, sentStream.Id, idempotencyKey], index);
    }

    /// <summary>A fresh id for an event appended without an idempotency key: a UUIDv7, ordered by creation time.</summary>
    public static Guid New() => Guid.CreateVersion7();

    private static Guid NameBased(string kind, ReadOnlySpan<string> parts, int index)
    {
        var builder = new StringBuilder(kind);
        foreach (var part in parts)
        {
            // Length-prefixed, so ("a", "bc") and ("ab", "c") never hash alike.
            builder.Append('|').Append(part.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(':').Append(part);
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var name = Encoding.UTF8.GetBytes(builder.ToString());
        var input = new byte[name.Length + sizeof(int)];
        name.CopyTo(input, 0);
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(name.Length), index);
        SHA256.HashData(input, hash);

        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
