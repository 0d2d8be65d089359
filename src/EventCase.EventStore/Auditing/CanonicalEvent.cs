using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NodaTime;

namespace EventCase.EventStore.Auditing;

/// <summary>
/// The fields of a stored event that its audit hash covers, exactly as stored, and the chain rule
/// <c>hash = SHA-256(previous hash ‖ canonical bytes)</c>. docs/audit.md gives the byte layout; the database computes
/// the same bytes in <c>event_hash</c> (migration 0003) when it appends.
/// </summary>
/// <param name="Tenant">The tenant id.</param>
/// <param name="StreamId">The stream id within the tenant.</param>
/// <param name="StreamVersion">The event's version in its stream (1 for the first).</param>
/// <param name="EventId">The writer-chosen event id.</param>
/// <param name="EventType">The stored type name (before any upcasting).</param>
/// <param name="RecordedAtMicroseconds">When the store recorded it, in microseconds since the Unix epoch (the store's
/// resolution, so no rounding is involved).</param>
/// <param name="DataJson">The data as the database renders the stored jsonb (<c>data::text</c>), character for character.</param>
/// <param name="MetadataJson">The metadata as the database renders it (<c>metadata::text</c>). The hash is not inside
/// it: it is the event row's own <c>hash</c> column.</param>
public sealed record CanonicalEvent(
    string Tenant,
    string StreamId,
    long StreamVersion,
    Guid EventId,
    string EventType,
    long RecordedAtMicroseconds,
    string DataJson,
    string MetadataJson)
{
    /// <summary>The first byte of the canonical encoding: its version. A new layout would get a new number.</summary>
    public const byte EncodingVersion = 1;

    /// <summary>When the store recorded the event.</summary>
    public Instant RecordedAt => Instant.FromUnixTimeTicks(RecordedAtMicroseconds * 10);

    /// <summary>The canonical bytes (without the previous hash that precedes them in the chain).</summary>
    public byte[] ToBytes()
    {
        var encoder = new CanonicalEncoder();
        var length = encoder.Encode(AuditHash.Zero, Tenant, StreamId, StreamVersion, EventId, EventType, RecordedAtMicroseconds, DataJson, MetadataJson);
        return encoder.Buffer.AsSpan(AuditHash.Length, length - AuditHash.Length).ToArray();
    }

    /// <summary>This event's link of the chain: SHA-256(<paramref name="previous"/> ‖ canonical bytes).</summary>
    /// <param name="previous">The hash of the event before it in its stream, or <see cref="AuditHash.Zero"/> for version 1.</param>
    public AuditHash ComputeHash(AuditHash previous) =>
        new CanonicalEncoder().Hash(previous, Tenant, StreamId, StreamVersion, EventId, EventType, RecordedAtMicroseconds, DataJson, MetadataJson);

    /// <summary>
    /// The recorded-at of a row as microseconds since the Unix epoch, read from PostgreSQL's own value (microseconds since
    /// 2000-01-01) rather than through <see cref="DateTime"/>: a timestamptz that SQL set outside the years 1–9999 (or to
    /// ±infinity, kept as <see cref="long.MaxValue"/> / <see cref="long.MinValue"/>) is then read like any other value,
    /// and found not to match its hash, instead of stopping the verification.
    /// </summary>
    internal static long ReadMicroseconds(Npgsql.NpgsqlDataReader reader, int ordinal)
    {
        var raw = reader.GetFieldValue<long>(ordinal);
        return raw is long.MaxValue or long.MinValue ? raw : raw + PostgresEpochMicroseconds;
    }

    /// <summary>
    /// <see cref="RecordedAt"/> kept within what <see cref="Instant"/> (and the export's text) can hold: only SQL can store
    /// a recorded-at outside it, and the value written instead never matches the row's hash.
    /// </summary>
    internal Instant RecordedAtWithinRange =>
        RecordedAtMicroseconds < MinInstantMicroseconds ? Instant.FromUnixTimeTicks(MinInstantMicroseconds * 10)
        : RecordedAtMicroseconds > MaxInstantMicroseconds ? Instant.FromUnixTimeTicks(MaxInstantMicroseconds * 10)
        : RecordedAt;

    private const long PostgresEpochMicroseconds = 946_684_800_000_000;

    // Years 1 and 9999, the range the export's four-digit years write and read back.
    private static readonly long MinInstantMicroseconds = Instant.FromUtc(1, 1, 1, 0, 0).ToUnixTimeTicks() / 10;
    private static readonly long MaxInstantMicroseconds = (Instant.FromUtc(9999, 12, 31, 23, 59, 59).ToUnixTimeTicks() / 10) + 999_999;
}

/// <summary>
/// Encodes events into a buffer it reuses, so hashing millions of them allocates almost nothing. Not thread safe:
/// one per thread.
/// </summary>
internal sealed class CanonicalEncoder
{
    private byte[] _buffer = new byte[4096];

    public byte[] Buffer => _buffer;

    public AuditHash Hash(
        AuditHash previous, string tenant, string streamId, long version, Guid eventId, string eventType, long recordedAtMicros, string data, string metadata)
    {
        var length = Encode(previous, tenant, streamId, version, eventId, eventType, recordedAtMicros, data, metadata);
        Span<byte> hash = stackalloc byte[AuditHash.Length];
        SHA256.HashData(_buffer.AsSpan(0, length), hash);
        return AuditHash.FromBytes(hash);
    }

    /// <summary>
    /// <see cref="Hash(AuditHash, string, string, long, Guid, string, long, string, string)"/> of JSON documents given as
    /// the UTF-8 bytes PostgreSQL sent for the jsonb columns (its binary jsonb is the text <c>data::text</c> renders,
    /// after a version byte the driver removes): a stream read that deserializes those bytes hashes them as they are,
    /// without transcoding them to UTF-16 and back.
    /// </summary>
    public AuditHash Hash(
        AuditHash previous, string tenant, string streamId, long version, Guid eventId, string eventType, long recordedAtMicros,
        ReadOnlySpan<byte> dataUtf8, ReadOnlySpan<byte> metadataUtf8)
    {
        var at = EncodeFixed(previous, tenant, streamId, version, eventId, eventType, recordedAtMicros, dataUtf8.Length + metadataUtf8.Length);
        var span = _buffer.AsSpan();
        at = WriteUtf8(span, at, dataUtf8);
        at = WriteUtf8(span, at, metadataUtf8);
        Span<byte> hash = stackalloc byte[AuditHash.Length];
        SHA256.HashData(span[..at], hash);
        return AuditHash.FromBytes(hash);
    }

    /// <summary>Writes previous hash ‖ canonical bytes at the start of <see cref="Buffer"/>; returns their length.</summary>
    public int Encode(
        AuditHash previous, string tenant, string streamId, long version, Guid eventId, string eventType, long recordedAtMicros, string data, string metadata)
    {
        // UTF-8 needs at most 3 bytes per UTF-16 char.
        var at = EncodeFixed(previous, tenant, streamId, version, eventId, eventType, recordedAtMicros, 3 * (data.Length + metadata.Length));
        var span = _buffer.AsSpan();
        at = WriteText(span, at, data);
        at = WriteText(span, at, metadata);
        return at;
    }

    /// <summary>
    /// Writes previous hash ‖ the canonical fields before the data, with room after them for the two documents
    /// (<paramref name="documentsBound"/> bytes at most, their length prefixes aside); returns where the data goes.
    /// </summary>
    private int EncodeFixed(
        AuditHash previous, string tenant, string streamId, long version, Guid eventId, string eventType, long recordedAtMicros, int documentsBound)
    {
        // An upper bound: UTF-8 needs at most 3 bytes per UTF-16 char; five length prefixes; the fixed fields.
        var bound = AuditHash.Length + 1 + (5 * 4) + 8 + 16 + 8 +
                    (3 * (tenant.Length + streamId.Length + eventType.Length)) + documentsBound;
        if (_buffer.Length < bound)
        {
            _buffer = new byte[Math.Max(bound, _buffer.Length * 2)];
        }

        var span = _buffer.AsSpan();
        previous.CopyTo(span);
        var at = AuditHash.Length;
        span[at++] = CanonicalEvent.EncodingVersion;
        at = WriteText(span, at, tenant);
        at = WriteText(span, at, streamId);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], version);
        at += 8;
        // RFC 4122 byte order, as PostgreSQL's uuid_send writes it.
        eventId.TryWriteBytes(span[at..], bigEndian: true, out _);
        at += 16;
        at = WriteText(span, at, eventType);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], recordedAtMicros);
        at += 8;
        return at;
    }

    private static int WriteText(Span<byte> span, int at, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, span[(at + 4)..]);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], written);
        return at + 4 + written;
    }

    private static int WriteUtf8(Span<byte> span, int at, ReadOnlySpan<byte> utf8)
    {
        BinaryPrimitives.WriteInt32BigEndian(span[at..], utf8.Length);
        utf8.CopyTo(span[(at + 4)..]);
        return at + 4 + utf8.Length;
    }
}
